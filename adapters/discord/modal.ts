import {
  ComponentType,
  escapeMarkdown,
  TextInputStyle,
  type APIModalInteractionResponseCallbackData,
} from 'discord.js';
import type { ApprovalRecord } from '../../src/approvals/record.js';
import { describeAction } from '../../src/chat/view/actions.js';
import { cut } from '../../src/chat/view/doc.js';
import { bulkId, decisionId } from './custom-ids.js';
import { discordText } from './embeds.js';
import { latestPerHost } from '../../src/groups/rule.js';
import type { GroupView } from '../../src/groups/types.js';
import { NOTES_MAX, type Verdict } from '../../src/approvals/service.js';

export const NOTES_INPUT = 'notes';
export const ONLY_INPUT = 'only';
export const EXCEPT_INPUT = 'except';

/** The notes dialog a button opens: what is being decided, and a paragraph for why (required to reject). */
export function notesModal(verb: Verdict, record: ApprovalRecord): APIModalInteractionResponseCallbackData {
  const actions = record.actions.map((a) => a.id).join(', ');
  return {
    custom_id: decisionId(verb, record.id),
    title: cut(`${verb === 'approve' ? 'Approve' : 'Reject'} ${actions}`, 45),
    components: [
      {
        type: ComponentType.TextDisplay,
        content: cut(
          `**${escapeMarkdown(record.host)}**\n${record.actions.map((a) => `• ${escapeMarkdown(describeAction(a))}`).join('\n')}\nExpires ${discordText([{ at: record.expires_at, relative: true }])}`,
          4000,
        ),
      },
      notesInput(verb, 'it'),
    ],
  };
}

/** The notes field: optional to approve, required to reject. */
function notesInput(verb: Verdict, what: 'it' | 'them') {
  return {
    type: ComponentType.Label,
    label: verb === 'approve' ? 'Notes (optional)' : `Why reject ${what}? (required)`,
    description: 'Kept in the audit log with your Discord user id.',
    component: {
      type: ComponentType.TextInput,
      custom_id: NOTES_INPUT,
      style: TextInputStyle.Paragraph,
      required: verb === 'reject',
      max_length: NOTES_MAX,
    },
  } as const;
}

function hostsInput(id: string, label: string, description: string) {
  return {
    type: ComponentType.Label,
    label,
    description,
    component: {
      type: ComponentType.TextInput,
      custom_id: id,
      style: TextInputStyle.Paragraph,
      required: false,
      max_length: 3000,
    },
  } as const;
}

/** The same notes dialog for a storm's held requests, with a way to decide only some hosts or leave some out. */
export function bulkModal(verb: Verdict, group: GroupView): APIModalInteractionResponseCallbackData {
  const held = latestPerHost(group).filter((m) => m.state === 'held' && m.approval_id);
  const hosts = held.map((m) => m.host);
  const listed = hosts.slice(0, 40).join(', ') + (hosts.length > 40 ? ` and ${hosts.length - 40} more` : '');
  return {
    custom_id: bulkId(verb, group.id),
    title: cut(`${verb === 'approve' ? 'Approve' : 'Reject'} ${held.length} held: ${group.actions.join(', ')}`, 45),
    components: [
      {
        type: ComponentType.TextDisplay,
        content: cut(
          `${verb === 'approve' ? 'Run' : 'Do not run'} **${escapeMarkdown(group.actions.join(', '))}** on ${held.length} held hosts: ${escapeMarkdown(listed)}. Each host's request is decided on its own, with these notes.`,
          4000,
        ),
      },
      notesInput(verb, 'them'),
      hostsInput(ONLY_INPUT, 'Only these hosts', 'Empty: every held host. Separate names by commas or spaces.'),
      hostsInput(EXCEPT_INPUT, 'Leave these hosts out', 'Separate names by commas or spaces.'),
    ],
  };
}
