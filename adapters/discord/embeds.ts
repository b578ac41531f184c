import {
  ButtonStyle,
  ComponentType,
  escapeMarkdown,
  type APIActionRowComponent,
  type APIButtonComponentWithCustomId,
  type APIEmbed,
  type APIEmbedField,
} from 'discord.js';
import {
  cut,
  personName,
  renderRich,
  type MarkRenderer,
  type MessageDoc,
  type Rich,
  type Tone,
} from '../../src/chat/view/doc.js';
import type { Verdict } from '../../src/approvals/service.js';
import { bulkId, decisionId } from './custom-ids.js';

const COLOR: Record<Tone, number> = {
  ok: 0x2eb67d,
  info: 0x3b82f6,
  warning: 0xecb22e,
  danger: 0xe01e5a,
  muted: 0x9ca3af,
};

/**
 * Moments as `<t:…:f>` (and `<t:…:R>`, which counts down live) in each
 * reader's time zone; Discord people as `<@id>` mentions, which show their
 * current name and, with `allowed_mentions` empty, ping nobody.
 */
const DISCORD_MARKS: MarkRenderer = {
  text: (t) => escapeMarkdown(t),
  at: (iso, relative) => {
    const unix = Math.floor(Date.parse(iso) / 1000);
    return relative ? `<t:${unix}:f> (<t:${unix}:R>)` : `<t:${unix}:f>`;
  },
  who: (p) => (p.platform === 'discord' ? `<@${p.userId}>` : escapeMarkdown(personName(p))),
};

/** A doc's text with its marks, as Discord markdown. */
export function discordText(value: Rich): string {
  return renderRich(value, DISCORD_MARKS);
}

/** Discord refuses a whole message when one embed part is over its limit, so every part is cut to fit. */
const LIMIT = { title: 256, description: 4096, fields: 25, name: 256, value: 1024, footer: 2048, total: 6000 } as const;

/** Values this short sit side by side; longer ones (trends, reasons) get a row of their own. */
const INLINE_UP_TO = 40;

/**
 * A MessageDoc as one embed: title, colour from its tone, fields, lines as
 * the description, small print as footer. Fields come before lines when
 * the whole would exceed Discord's total: they hold the decision.
 */
export function toEmbed(doc: MessageDoc): APIEmbed {
  const title = cut(escapeMarkdown(doc.title), LIMIT.title);
  const footer = doc.footer ? cut(doc.footer, LIMIT.footer) : undefined;
  let budget = LIMIT.total - title.length - (footer?.length ?? 0);
  const fields: APIEmbedField[] = [];
  for (const f of doc.fields.slice(0, LIMIT.fields)) {
    const name = cut(f.label, LIMIT.name);
    const value = cut(discordText(f.value), LIMIT.value) || '—';
    if (name.length + value.length > budget) break;
    budget -= name.length + value.length;
    fields.push({ name, value, inline: value.length <= INLINE_UP_TO });
  }
  const description = cut(doc.lines.map(discordText).join('\n'), Math.min(LIMIT.description, budget));
  return {
    title,
    color: COLOR[doc.tone],
    fields,
    ...(description ? { description } : {}),
    ...(footer ? { footer: { text: footer } } : {}),
  };
}

/** Approve (green) and Reject (red), each carrying the approval id, or the storm group's for all its held hosts. */
function decisionRow(decide: NonNullable<MessageDoc['decide']>): APIActionRowComponent<APIButtonComponentWithCustomId> {
  const bulk = 'groupId' in decide;
  const id = (verb: Verdict) =>
    'groupId' in decide ? bulkId(verb, decide.groupId) : decisionId(verb, decide.approvalId);
  return {
    type: ComponentType.ActionRow,
    components: [
      {
        type: ComponentType.Button,
        style: ButtonStyle.Success,
        label: 'groupId' in decide ? `Approve all (${decide.held})` : 'Approve',
        custom_id: id('approve'),
      },
      {
        type: ComponentType.Button,
        style: ButtonStyle.Danger,
        label: bulk ? 'Reject all' : 'Reject',
        custom_id: id('reject'),
      },
    ],
  };
}

export interface MessageBody {
  readonly embeds: APIEmbed[];
  /** Always present: an edit with `[]` takes the buttons off a decided request. */
  readonly components: APIActionRowComponent<APIButtonComponentWithCustomId>[];
  readonly allowed_mentions: { readonly parse: [] };
}

/** What is posted or edited for a doc; nothing in it may ping anyone. */
export function messageBody(doc: MessageDoc): MessageBody {
  return {
    embeds: [toEmbed(doc)],
    components: doc.decide ? [decisionRow(doc.decide)] : [],
    allowed_mentions: { parse: [] },
  };
}
