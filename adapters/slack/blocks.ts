import type { types } from '@slack/bolt';
import {
  cut,
  personName,
  renderRich,
  utcMinute,
  type MarkRenderer,
  type MessageDoc,
  type Rich,
  type Tone,
} from '../../src/chat/view/doc.js';

export const APPROVE_ACTION = 'healgate_approve';
export const REJECT_ACTION = 'healgate_reject';
/** Approve all / Reject all on a storm's group message; the value is the group id. */
export const BULK_APPROVE_ACTION = 'healgate_bulk_approve';
export const BULK_REJECT_ACTION = 'healgate_bulk_reject';

export type Block = types.KnownBlock;

export interface SlackMessage {
  /** The plain-text fallback: notifications, screen readers, clients without blocks. */
  readonly text: string;
  readonly blocks: readonly Block[];
}

const EMOJI: Record<Tone, string> = {
  ok: ':white_check_mark:',
  info: ':information_source:',
  warning: ':warning:',
  danger: ':rotating_light:',
  muted: ':white_circle:',
};

// Block Kit's limits: header 150 chars, section text 3000, a field 2000, 10 fields a section.
const HEADER_MAX = 150;
const TEXT_MAX = 3000;
const FIELD_MAX = 2000;
const FIELDS_PER_SECTION = 10;

/** `&`, `<` and `>` are Slack's markup; everything a doc says is plain text. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Moments as `<!date^…>` (each reader's own time zone and format, the UTC
 * minute where it does not render), Slack people as `<@U…>` (their current
 * display name), anyone else by name and id.
 */
const SLACK_MARKS: MarkRenderer = {
  text: escapeMrkdwn,
  at: (iso) => `<!date^${Math.floor(Date.parse(iso) / 1000)}^{date_short_pretty} {time}|${utcMinute(iso)}>`,
  who: (p) => (p.platform === 'slack' ? `<@${p.userId}>` : escapeMrkdwn(personName(p))),
};

/** A doc's text with its marks, as Slack mrkdwn. */
export function slackText(value: Rich): string {
  return renderRich(value, SLACK_MARKS);
}

const mrkdwn = (text: string, max = TEXT_MAX): types.MrkdwnElement => ({ type: 'mrkdwn', text: cut(text, max) });
const plain = (text: string, max = TEXT_MAX): types.PlainTextElement => ({
  type: 'plain_text',
  text: cut(text, max),
  emoji: true,
});

/**
 * A message doc as Block Kit: a header with the tone's emoji, the facts as
 * two-column fields, the lines (reasons, actions, results), the small print,
 * and Approve / Reject while the request is pending.
 */
export function toSlack(doc: MessageDoc): SlackMessage {
  const blocks: Block[] = [{ type: 'header', text: plain(`${EMOJI[doc.tone]} ${doc.title}`, HEADER_MAX) }];
  for (let i = 0; i < doc.fields.length; i += FIELDS_PER_SECTION) {
    blocks.push({
      type: 'section',
      fields: doc.fields
        .slice(i, i + FIELDS_PER_SECTION)
        .map((f) => mrkdwn(`*${escapeMrkdwn(f.label)}*\n${slackText(f.value)}`, FIELD_MAX)),
    });
  }
  if (doc.lines.length > 0) blocks.push({ type: 'section', text: mrkdwn(doc.lines.map(slackText).join('\n')) });
  if (doc.footer) blocks.push({ type: 'context', elements: [mrkdwn(escapeMrkdwn(doc.footer))] });
  if (doc.decide) {
    const bulk = 'groupId' in doc.decide;
    const value = 'groupId' in doc.decide ? doc.decide.groupId : doc.decide.approvalId;
    const approve = 'groupId' in doc.decide ? `Approve all (${doc.decide.held})` : 'Approve';
    blocks.push({
      type: 'actions',
      block_id: 'healgate_decide',
      elements: [
        {
          type: 'button',
          action_id: bulk ? BULK_APPROVE_ACTION : APPROVE_ACTION,
          style: 'primary',
          value,
          text: plain(approve),
        },
        {
          type: 'button',
          action_id: bulk ? BULK_REJECT_ACTION : REJECT_ACTION,
          style: 'danger',
          value,
          text: plain(bulk ? 'Reject all' : 'Reject'),
        },
      ],
    });
  }
  return { text: cut(slackText(doc.text), TEXT_MAX), blocks };
}
