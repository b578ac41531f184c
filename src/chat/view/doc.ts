import type { Principal } from '../../core/policy/approvers.js';
import { formatDuration } from '../../core/policy/duration.js';

/**
 * A platform-neutral message: every adapter renders the same facts (Slack
 * as Block Kit, Discord as an embed, the console as a card), so what a
 * notice says is decided once, here. All strings are plain text: each
 * adapter escapes them for its own markup.
 */
export type Tone = 'ok' | 'info' | 'warning' | 'danger' | 'muted';

/**
 * A moment or a person inside a text. Each platform shows them its own way,
 * for each reader: Slack `<!date^…>` and `<@U…>`, Discord `<t:…>` and
 * `<@id>`, the console in the browser's time zone on the bot's clock.
 * `relative` adds "in 12m" / "3m ago" where the platform can keep it live.
 */
export type Mark =
  | { readonly at: string; readonly relative?: boolean }
  | { readonly who: Pick<Principal, 'platform' | 'userId' | 'displayName'> };
export type Inline = string | Mark;
/** Plain text, or text with marks in it. */
export type Rich = string | readonly Inline[];

export interface Field {
  readonly label: string;
  readonly value: Rich;
}

export interface MessageDoc {
  /**
   * One line: the notification text, and the fallback where rich messages
   * do not render. Marks in it render where the platform's notifications
   * do (Slack), else as plain text.
   */
  readonly text: Rich;
  readonly title: string;
  readonly tone: Tone;
  readonly fields: readonly Field[];
  /** Paragraphs under the fields: reasons, actions with parameters, results. */
  readonly lines: readonly Rich[];
  /** Small print: model and policy versions, ids. */
  readonly footer?: string;
  /**
   * Approve / Reject buttons for this approval, shown only while it is
   * pending; or Approve all / Reject all for a storm group's held requests.
   */
  readonly decide?: { readonly approvalId: string } | { readonly groupId: string; readonly held: number };
}

const BARS = '▁▂▃▄▅▆▇█';

/** `▁▂▅█` over the given range (a signal's natural scale, so a flat 90% reads high). */
export function sparkline(values: readonly number[], min: number, max: number): string {
  const span = max - min || 1;
  return values
    .map((v) => BARS[Math.min(BARS.length - 1, Math.max(0, Math.floor(((v - min) / span) * BARS.length)))])
    .join('');
}

/** At most `max` characters, an ellipsis marking a cut: platforms refuse longer texts. */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  return max < 1 ? '' : `${text.slice(0, max - 1)}…`;
}

/** 91.5 → "91.5", 91 → "91", and never "91.50000001". */
export function num(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

/** 0.42 → "42%", 0.997 → "99.7%"; never a rounded "100%" or "0%" for what is not certain. */
export function pct(p: number): string {
  if (p < 1 && p >= 0.9995) return '> 99.9%';
  if (p > 0 && p < 0.0005) return '< 0.1%';
  return `${(p * 100).toFixed((p >= 0.995 && p < 1) || (p > 0 && p < 0.005) ? 1 : 0)}%`;
}

/** "in 29m", "12s ago": for expiries and snapshot ages. */
export function relative(ms: number): string {
  return ms >= 0 ? `in ${formatDuration(ms)}` : `${formatDuration(ms)} ago`;
}

/** The same document marked resolved: the notice stays, its banner says the condition is gone. */
export function markResolved(doc: MessageDoc, how: string): MessageDoc {
  return {
    ...doc,
    tone: doc.decide ? doc.tone : 'ok',
    title: doc.title.startsWith('Resolved') ? doc.title : `Resolved: ${doc.title}`,
    text: ['Resolved: ', ...inlines(doc.text)],
    fields: [...doc.fields.filter((f) => f.label !== 'Resolved'), { label: 'Resolved', value: how }],
  };
}

/** A person as a mark; roles and flags stay out of what is shown. */
export function who(p: Principal): Mark {
  return { who: { platform: p.platform, userId: p.userId, ...(p.displayName ? { displayName: p.displayName } : {}) } };
}

/** How one platform writes text and marks. */
export interface MarkRenderer {
  text(text: string): string;
  at(iso: string, relative: boolean): string;
  who(p: Pick<Principal, 'platform' | 'userId' | 'displayName'>): string;
}

export function inlines(value: Rich): readonly Inline[] {
  return typeof value === 'string' ? [value] : value;
}

export function renderRich(value: Rich, r: MarkRenderer): string {
  if (typeof value === 'string') return r.text(value);
  return value
    .map((part) =>
      typeof part === 'string' ? r.text(part) : 'at' in part ? r.at(part.at, part.relative === true) : r.who(part.who),
    )
    .join('');
}

/** "Alice (slack:U1)", or the id alone: a person where no mention renders. */
export function personName(p: Pick<Principal, 'platform' | 'userId' | 'displayName'>): string {
  const id = `${p.platform}:${p.userId}`;
  return p.displayName ? `${p.displayName} (${id})` : id;
}

/** "2026-12-04 18:45 UTC": a moment where no platform markup renders (fallbacks, logs). */
export function utcMinute(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
