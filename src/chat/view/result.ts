import type { Policy } from '../../core/policy/policy.js';
import { SIGNALS } from '../../core/snapshot/schema.js';
import type { HealgateEvent } from '../../events/types.js';
import type { HistoryPoint } from '../../pipeline/host-state.js';
import { modeLabel } from './actions.js';
import type { Field, MessageDoc, Tone } from './doc.js';
import { signalLabel, signalValue } from './signals.js';

type ActionResult = Extract<HealgateEvent, { type: 'action.result' }>;

const TONE: Record<ActionResult['outcome'], Tone> = {
  success: 'ok',
  failure: 'danger',
  unknown: 'warning',
  dry_run: 'info',
};
const WORD: Record<ActionResult['outcome'], string> = {
  success: 'succeeded',
  failure: 'failed',
  unknown: 'outcome unknown',
  dry_run: 'dry-run',
};

/** A signal's value before the action, for a result that measured nothing after it (dry-run). */
export interface Before {
  readonly signal: string;
  readonly value: number;
}

/** The measurement an action would have verified, as the host last reported it: in dry-run nothing changed it. */
export function beforeOf(policy: Policy, event: ActionResult, history: readonly HistoryPoint[]): Before | undefined {
  const signal = event.actions.map((a) => policy.actions[a.id]?.verify?.signal).find((s) => s !== undefined);
  const last = history.at(-1);
  if (!signal || !last) return undefined;
  return { signal, value: last[1 + SIGNALS.indexOf(signal)]! };
}

function toneOf(event: ActionResult): Tone {
  const v = event.verify;
  return v && !v.recovered && event.outcome === 'success' ? 'warning' : TONE[event.outcome];
}

/** "97% → 24% (recovered)". */
function change(v: NonNullable<ActionResult['verify']>): string {
  return `${signalValue(v.signal, v.before)} → ${signalValue(v.signal, v.after)} (${v.recovered ? 'recovered' : 'did not recover'})`;
}

/** "succeeded: Disk 97% → 24% (recovered)", "dry-run: nothing changed (Disk 97% before)". */
export function resultLine(event: ActionResult, before?: Before): string {
  const v = event.verify;
  if (v) return `${WORD[event.outcome]}: ${signalLabel(v.signal)} ${change(v)}`;
  if (event.dry_run)
    return `dry-run: nothing changed${before ? ` (${signalLabel(before.signal)} ${signalValue(before.signal, before.value)} before)` : ''}`;
  return `${WORD[event.outcome]}: ${event.detail}`;
}

/** What a request's message says between approval and result. */
export const RUNNING = "running: queued for the host's agent";

/**
 * The message a result belongs to (the approval request, the auto-heal
 * notice), rewritten to say how the action ended: its Result field
 * replaced, its tone the outcome's. Undefined for a message about several
 * hosts (a digest): its thread gets the result, its lines stay.
 */
export function withResult(doc: MessageDoc, event: ActionResult, before?: Before): MessageDoc | undefined {
  if (!doc.fields.some((f) => f.label === 'Host' && f.value === event.host)) return undefined;
  const { field, tone } = outcomeOf(event, before);
  const fields = doc.fields.some((f) => f.label === 'Result')
    ? doc.fields.map((f) => (f.label === 'Result' ? field : f))
    : [...doc.fields, field];
  return { ...doc, fields, tone };
}

/** The Result field and tone a result gives the message it belongs to (the console applies them on the page). */
export function outcomeOf(event: ActionResult, before?: Before): { readonly field: Field; readonly tone: Tone } {
  return { field: { label: 'Result', value: resultLine(event, before) }, tone: toneOf(event) };
}

/** The thread reply with an action's result: before → after, and what ran. */
export function resultReply(event: ActionResult, before?: Before): MessageDoc {
  const title = `${event.actions.map((a) => a.id).join(', ')} on ${event.host}: ${WORD[event.outcome]}`;
  const v = event.verify;
  const lines = [event.detail];
  for (const action of event.actions) {
    for (const step of action.steps) {
      const status = step.timed_out ? 'timed out' : step.exit_code === null ? 'not run' : `exit ${step.exit_code}`;
      lines.push(
        `${event.dry_run ? 'would run' : 'ran'}: ${step.argv.join(' ')}${event.dry_run ? '' : ` (${status})`}`,
      );
    }
  }
  const measured: Field[] = v
    ? [{ label: signalLabel(v.signal), value: change(v) }]
    : before
      ? [{ label: signalLabel(before.signal), value: `${signalValue(before.signal, before.value)} before (unchanged)` }]
      : [];
  return {
    text: `${title} (${event.dry_run ? 'dry-run' : 'live'})${v ? `: ${signalLabel(v.signal)} ${signalValue(v.signal, v.before)} → ${signalValue(v.signal, v.after)}` : ''}`,
    title,
    tone: toneOf(event),
    fields: [...measured, { label: 'Mode', value: modeLabel(event.dry_run) }],
    lines,
  };
}

/** The thread reply when no agent took an auto-heal in time: nothing ran, and a human is asked. */
export function withdrawnReply(event: Extract<HealgateEvent, { type: 'action.withdrawn' }>): MessageDoc {
  const title = `${event.actions.join(', ')} on ${event.host}: withdrawn, nothing ran`;
  return {
    text: `${title} (${event.reason})`,
    title,
    tone: 'warning',
    fields: [],
    lines: [`${event.reason[0]?.toUpperCase() ?? ''}${event.reason.slice(1)}.`, 'A request for a human follows.'],
  };
}

/** A request rendered again (a late decision event) keeps the result already shown rather than going back to "running". */
export function keepResult(shown: MessageDoc | undefined, doc: MessageDoc): MessageDoc {
  const result = shown?.fields.find((f) => f.label === 'Result');
  if (!shown || !result || result.value === RUNNING) return doc;
  return { ...doc, tone: shown.tone, fields: doc.fields.map((f) => (f.label === 'Result' ? result : f)) };
}
