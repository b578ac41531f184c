import { eventHost, type HealgateEvent } from '../../events/types.js';
import type { DigestibleType } from '../port.js';
import type { HistoryPoint } from '../../pipeline/host-state.js';
import { formatDuration } from '../../core/policy/duration.js';
import { modeLabel } from './actions.js';
import { RUNNING } from './result.js';
import { num, utcMinute, type MessageDoc, type Rich } from './doc.js';
import { footer, modelField, signalFields, signalLabel, signalValue } from './signals.js';

type Of<T extends HealgateEvent['type']> = Extract<HealgateEvent, { type: T }>;

/** An auto-heal notice (or, when nothing could run, a notice for humans). */
export function incidentNotice(event: Of<'incident.opened'>, history: readonly HistoryPoint[]): MessageDoc {
  const { decision } = event;
  const healing = event.actions.length > 0;
  const what = decision.signals.map((s) => `${signalLabel(s.signal)} ${signalValue(s.signal, s.value)}`).join(', ');
  const title = healing
    ? `Auto-heal on ${event.host}: ${event.actions.join(', ')}`
    : `${event.host} needs a human: nothing in the policy can fix it`;
  return {
    text: `${title} (${what}; ${event.dry_run ? 'dry-run' : 'live'})`,
    title,
    tone: healing ? 'warning' : 'danger',
    fields: [
      { label: 'Host', value: event.host },
      ...signalFields(decision, history),
      ...(healing ? [{ label: 'Action', value: event.actions.join(', ') }] : []),
      { label: 'Mode', value: modeLabel(event.dry_run) },
      modelField(decision),
      ...(healing ? [{ label: 'Result', value: RUNNING }] : []),
    ],
    lines: decision.reasons.slice(0, 4),
    footer: footer(decision),
  };
}

export function resolvedText(event: Of<'incident.resolved'>, threshold: number | undefined): string {
  const limit = threshold === undefined ? '' : ` (threshold ${num(threshold)})`;
  return `${signalLabel(event.signal)} back to ${signalValue(event.signal, event.value)}${limit}`;
}

/** The thread reply when an incident resolves. */
export function resolvedReply(event: Of<'incident.resolved'>, threshold: number | undefined): MessageDoc {
  const how = resolvedText(event, threshold);
  return {
    text: `Resolved on ${event.host}: ${how}`,
    title: `Resolved on ${event.host}`,
    tone: 'ok',
    fields: [],
    lines: [how],
  };
}

/** A fleet breaker is about every host: the host whose heal tripped it is not its subject. */
export function breakerNotice(event: Of<'breaker.tripped'>): MessageDoc {
  const fleet = event.scope === 'fleet';
  const scope = fleet ? 'fleet-wide' : `on ${event.host}`;
  return {
    text: `Circuit breaker tripped ${scope}: auto-heal now waits for a human`,
    title: `Circuit breaker tripped ${scope}`,
    tone: 'danger',
    fields: fleet ? [{ label: 'Scope', value: 'every host' }] : [{ label: 'Host', value: event.host }],
    lines: [
      event.reason,
      fleet
        ? 'Every auto-heal now goes to a human for approval until fewer hosts are healing.'
        : `Auto-heals on ${event.host} now go to a human for approval.`,
    ],
  };
}

/** A host whose agent stopped reporting: nothing about it is measured or healed until it is back. */
export function agentSilentNotice(event: Of<'agent.silent'>): MessageDoc {
  const title = `The agent on ${event.host} is silent`;
  return {
    text: `${title}: no heartbeat since ${utcMinute(event.last_seen)}`,
    title,
    tone: 'danger',
    fields: [
      { label: 'Host', value: event.host },
      { label: 'Last heartbeat', value: [{ at: event.last_seen, relative: true }] },
    ],
    lines: [
      `No heartbeat for ${formatDuration(event.silent_ms)}: ${event.host} is not being measured, and actions queued for it wait.`,
      'Check the host and its healgate agent; this resolves when the agent reports again.',
    ],
  };
}

const DIGEST_TITLE: Record<DigestibleType, string> = {
  'incident.opened': 'new incidents',
  'incident.resolved': 'incidents resolved',
  'breaker.tripped': 'circuit breakers tripped',
  'agent.silent': 'agents silent',
};

/** "dry-run", "live", "dry-run and live": how a digest's auto-heals run. */
function modesOf(events: readonly HealgateEvent[]): string {
  const modes = new Set(events.flatMap((e) => (e.type === 'incident.opened' ? [e.dry_run ? 'dry-run' : 'live'] : [])));
  return [...modes].sort().join(' and ');
}

/** A burst folded into one message: which hosts, and what about each. */
export function digestNotice(type: DigestibleType, events: readonly HealgateEvent[]): MessageDoc {
  const hosts = [...new Set(events.map(eventHost))];
  const lines = events.slice(0, 25).map((e): Rich => {
    if (e.type === 'incident.opened') {
      const what = e.decision.signals.map((s) => `${signalLabel(s.signal)} ${signalValue(s.signal, s.value)}`);
      const next = e.actions.length ? `auto-heal ${e.actions.join(', ')}` : 'needs a human';
      return `${e.host}: ${what.join(', ')} — ${next}${e.actions.length ? ` (${e.dry_run ? 'dry-run' : 'live'})` : ''}`;
    }
    if (e.type === 'incident.resolved')
      return `${e.host}: ${signalLabel(e.signal)} back to ${signalValue(e.signal, e.value)}`;
    if (e.type === 'breaker.tripped') return `${e.scope === 'fleet' ? 'fleet-wide' : e.host}: ${e.reason}`;
    if (e.type === 'agent.silent') return [`${e.host}: agent silent since `, { at: e.last_seen }];
    return e.type;
  });
  if (events.length > lines.length) lines.push(`…and ${events.length - lines.length} more`);
  const title = `${events.length} ${DIGEST_TITLE[type]} on ${hosts.length} host${hosts.length === 1 ? '' : 's'}`;
  const modes = modesOf(events);
  return {
    text: modes ? `${title} (auto-heal ${modes})` : title,
    title,
    tone: type === 'incident.resolved' ? 'ok' : type === 'incident.opened' ? 'warning' : 'danger',
    fields: [],
    lines,
  };
}
