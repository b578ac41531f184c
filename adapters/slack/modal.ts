import { z } from 'zod';
import type { ApprovalRecord } from '../../src/approvals/record.js';
import { NOTES_MAX } from '../../src/approvals/service.js';
import { describeAction } from '../../src/chat/view/actions.js';
import type { types } from '@slack/bolt';
import { latestPerHost } from '../../src/groups/rule.js';
import type { GroupView } from '../../src/groups/types.js';
import { escapeMrkdwn, slackText } from './blocks.js';

export const DECISION_CALLBACK = 'healgate_decision';
export const NOTES_BLOCK = 'notes';
export const NOTES_ACTION = 'notes';

/** What the modal carries from the click to the submission (a submission has no channel of its own). */
export const metadataSchema = z.object({
  id: z.string().regex(/^apr-[0-9a-f]{16}$/),
  choice: z.enum(['approve', 'reject']),
  /** The message with the buttons; empty when Slack did not say (e.g. an ephemeral message). */
  channel: z.string(),
  ts: z.string(),
});
export type DecisionMetadata = z.infer<typeof metadataSchema>;

/** The notes modal for one approval; notes are required to reject. */
export function decisionModal(record: ApprovalRecord, meta: DecisionMetadata): types.ModalView {
  const approve = meta.choice === 'approve';
  const actions = record.actions.map((a) => `• ${escapeMrkdwn(describeAction(a))}`).join('\n');
  return {
    type: 'modal',
    callback_id: DECISION_CALLBACK,
    private_metadata: JSON.stringify(meta),
    title: { type: 'plain_text', text: approve ? 'Approve request' : 'Reject request' },
    submit: { type: 'plain_text', text: approve ? 'Approve' : 'Reject' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `${approve ? 'Run' : 'Do not run'} on *${escapeMrkdwn(record.host)}*:\n${actions}`.slice(0, 3000),
        },
      },
      {
        type: 'input',
        block_id: NOTES_BLOCK,
        optional: approve,
        label: { type: 'plain_text', text: approve ? 'Notes (optional)' : 'Why? (required)' },
        element: {
          type: 'plain_text_input',
          action_id: NOTES_ACTION,
          multiline: true,
          max_length: NOTES_MAX,
          placeholder: {
            type: 'plain_text',
            text: approve ? 'e.g. checked with the app team' : 'e.g. the port must stay closed until the audit',
          },
        },
      },
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: `${record.id} · expires ${slackText([{ at: record.expires_at }])}` }],
      },
    ],
  };
}

export const BULK_CALLBACK = 'healgate_bulk_decision';
export const ONLY_BLOCK = 'only';
export const EXCEPT_BLOCK = 'except';

export const bulkMetadataSchema = z.object({
  id: z.string().regex(/^grp-[0-9a-f]{16}$/),
  choice: z.enum(['approve', 'reject']),
  channel: z.string(),
  ts: z.string(),
});
export type BulkMetadata = z.infer<typeof bulkMetadataSchema>;

function hostsInput(block: string, label: string, hint: string): types.InputBlock {
  return {
    type: 'input',
    block_id: block,
    optional: true,
    label: { type: 'plain_text', text: label },
    hint: { type: 'plain_text', text: hint },
    element: { type: 'plain_text_input', action_id: block, multiline: true, max_length: 3000 },
  };
}

/** The same notes form for a storm's held requests, with a way to decide only some hosts or leave some out. */
export function bulkModal(group: GroupView, meta: BulkMetadata): types.ModalView {
  const approve = meta.choice === 'approve';
  const held = latestPerHost(group).filter((m) => m.state === 'held' && m.approval_id);
  const hosts = held.map((m) => m.host);
  const listed = hosts.slice(0, 40).join(', ') + (hosts.length > 40 ? ` and ${hosts.length - 40} more` : '');
  return {
    type: 'modal',
    callback_id: BULK_CALLBACK,
    private_metadata: JSON.stringify(meta),
    title: { type: 'plain_text', text: approve ? 'Approve all held' : 'Reject all held' },
    submit: { type: 'plain_text', text: approve ? `Approve ${held.length}` : `Reject ${held.length}` },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `${approve ? 'Run' : 'Do not run'} *${escapeMrkdwn(group.actions.join(', '))}* on ${held.length} held hosts: ${escapeMrkdwn(listed)}. Each host's request is decided on its own, with these notes.`.slice(
            0,
            3000,
          ),
        },
      },
      {
        type: 'input',
        block_id: NOTES_BLOCK,
        optional: approve,
        label: { type: 'plain_text', text: approve ? 'Notes (optional)' : 'Why? (required)' },
        element: { type: 'plain_text_input', action_id: NOTES_ACTION, multiline: true, max_length: NOTES_MAX },
      },
      hostsInput(ONLY_BLOCK, 'Only these hosts', 'Empty: every held host. Names separated by commas, spaces or lines.'),
      hostsInput(EXCEPT_BLOCK, 'Leave these hosts out', 'Names separated by commas, spaces or lines.'),
    ],
  };
}
