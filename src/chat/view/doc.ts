import { formatDuration } from '../../core/policy/duration.js';

/**
 * A platform-neutral message: every adapter renders the same facts (Slack
 * as Block Kit, Discord as an embed, the console as a card), so what a
 * notice says is decided once, here. All strings are plain text: each
 * adapter escapes them for its own markup.
 */
export type Tone = 'ok' | 'info' | 'warning' | 'danger' | 'muted';

export interface Field {
  readonly label: string;
  readonly value: string;
}

export interface MessageDoc {
  /** One line: the notification text, and the fallback where rich messages do not render. */
  readonly text: string;
  readonly title: string;
  readonly tone: Tone;
  readonly fields: readonly Field[];
  /** Paragraphs under the fields: reasons, actions with parameters, results. */
  readonly lines: readonly string[];
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

/** 91.5 → "91.5", 91 → "91", and never "91.50000001". */
/** At most `max` characters, an ellipsis marking a cut: platforms refuse longer texts. */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  return max < 1 ? '' : `${text.slice(0, max - 1)}…`;
}

export function num(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

export function pct(p: number): string {
  return `${(p * 100).toFixed(p >= 0.995 && p < 1 ? 1 : 0)}%`;
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
    text: `Resolved: ${doc.text}`,
    fields: [...doc.fields.filter((f) => f.label !== 'Resolved'), { label: 'Resolved', value: how }],
  };
}
