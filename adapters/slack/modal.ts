import { z } from 'zod';
import type { ApprovalRecord } from '../../src/approvals/record.js';
import { NOTES_MAX } from '../../src/approvals/service.js';
import { describeAction } from '../../src/chat/view/actions.js';
import type { types } from '@slack/bolt';
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
