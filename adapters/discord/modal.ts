import {
  ComponentType,
  escapeMarkdown,
  TextInputStyle,
  type APIModalInteractionResponseCallbackData,
} from 'discord.js';
import type { ApprovalRecord } from '../../src/approvals/record.js';
import { describeAction } from '../../src/chat/view/actions.js';
import { cut } from '../../src/chat/view/doc.js';
import { decisionId } from './custom-ids.js';
import { discordText } from './embeds.js';
import { NOTES_MAX, type Verdict } from '../../src/approvals/service.js';

export const NOTES_INPUT = 'notes';

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
      {
        type: ComponentType.Label,
        label: verb === 'approve' ? 'Notes (optional)' : 'Why reject it? (required)',
        description: 'Kept in the audit log with your Discord user id.',
        component: {
          type: ComponentType.TextInput,
          custom_id: NOTES_INPUT,
          style: TextInputStyle.Paragraph,
          required: verb === 'reject',
          max_length: NOTES_MAX,
        },
      },
    ],
  };
}
