import type { HealgateEvent } from '../../events/types.js';
import { modeLabel } from './actions.js';
import type { MessageDoc, Tone } from './doc.js';
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

/** The thread reply with an action's result: before → after, and what ran. */
export function resultReply(event: ActionResult): MessageDoc {
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
  return {
    text: `${title}${v ? ` (${signalLabel(v.signal)} ${signalValue(v.signal, v.before)} → ${signalValue(v.signal, v.after)})` : ''}`,
    title,
    tone: v && !v.recovered && event.outcome === 'success' ? 'warning' : TONE[event.outcome],
    fields: [
      ...(v
        ? [
            {
              label: signalLabel(v.signal),
              value: `${signalValue(v.signal, v.before)} → ${signalValue(v.signal, v.after)} (${v.recovered ? 'recovered' : 'did not recover'})`,
            },
          ]
        : []),
      { label: 'Mode', value: modeLabel(event.dry_run) },
    ],
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
