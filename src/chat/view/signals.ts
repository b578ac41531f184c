import type { Decision } from '../../core/decide/types.js';
import type { SignalViews } from '../../core/signals/merge.js';
import { SIGNALS, type Signal, type Snapshot } from '../../core/snapshot/schema.js';
import type { HistoryPoint } from '../../pipeline/host-state.js';
import { num, pct, sparkline, type Field } from './doc.js';

const LABEL: Record<Signal, string> = {
  disk_usage: 'Disk',
  memory_usage: 'Memory',
  cpu_usage: 'CPU',
  dns_latency_ms: 'DNS latency',
  firewall_change_requested: 'Firewall request',
};

const UNIT: Record<Signal, string> = {
  disk_usage: '%',
  memory_usage: '%',
  cpu_usage: '%',
  dns_latency_ms: ' ms',
  firewall_change_requested: '',
};

/** How many recent points a trend shows: enough to see a climb, short enough for a chat line. */
const TREND_POINTS = 20;

/** Incident "signals" beside the five: a silent agent (value: seconds since its last heartbeat). */
const OTHER_LABEL: Record<string, string> = { agent_heartbeat: 'Agent heartbeat' };
const OTHER_UNIT: Record<string, string> = { agent_heartbeat: 's' };

export function signalLabel(signal: string): string {
  return (LABEL as Record<string, string>)[signal] ?? OTHER_LABEL[signal] ?? signal;
}

export function signalValue(signal: string, value: number): string {
  return `${num(value)}${(UNIT as Record<string, string>)[signal] ?? OTHER_UNIT[signal] ?? ''}`;
}

/** The recent values of one signal, oldest first. */
export function series(history: readonly HistoryPoint[], signal: Signal): number[] {
  const column = 1 + SIGNALS.indexOf(signal);
  return history.slice(-TREND_POINTS).map((p) => p[column] ?? 0);
}

/** A signal's trend on its natural scale: 0–100 for usages, 0 to twice the threshold (or the peak) for latency. */
export function trend(history: readonly HistoryPoint[], signal: Signal, threshold: number): string {
  // A firewall request is a 0/1 flag: its "trend" says nothing.
  if (signal === 'firewall_change_requested') return '';
  const values = series(history, signal);
  if (values.length < 2) return '';
  return sparkline(values, 0, signal === 'dns_latency_ms' ? Math.max(threshold * 2, ...values) : 100);
}

/** One field per fired signal: value, threshold, trend. */
export function signalFields(decision: Decision, history: readonly HistoryPoint[]): Field[] {
  return decision.signals.map((s) => {
    const line = trend(history, s.signal, s.threshold);
    const limit = s.op === '==' ? '' : ` (${s.op} ${num(s.threshold)})`;
    return {
      label: signalLabel(s.signal),
      value: `${signalValue(s.signal, s.value)}${limit}${line ? `  ${line}` : ''}`,
    };
  });
}

/** Every signal of a snapshot with its trend, for /diagnose. */
export function snapshotFields(
  snapshot: Snapshot,
  history: readonly HistoryPoint[],
  thresholds: Record<Signal, number>,
): Field[] {
  return SIGNALS.map((signal) => {
    const line = trend(history, signal, thresholds[signal]);
    return { label: signalLabel(signal), value: `${signalValue(signal, snapshot[signal])}${line ? `  ${line}` : ''}` };
  });
}

export function modelField(decision: Decision): Field {
  return { label: 'Model', value: `${decision.model_class} (p=${pct(decision.confidence)})` };
}

export function footer(decision: Decision): string {
  return `model ${decision.model} · policy ${decision.policy} · rule ${decision.rule}`;
}

/**
 * One line per signal another source decides over the host's reading: an
 * alert holding it, or a firewall request, with the reading beside it.
 * Notices name only alerts (`kinds`): a request already says it is one.
 */
export function sourceLines(sources: SignalViews, kinds: readonly string[] = ['alert', 'firewall']): string[] {
  return SIGNALS.flatMap((signal) => {
    const { value, source, reading } = sources[signal];
    if (!kinds.includes(source.kind)) return [];
    const from =
      source.kind === 'alert' ? `alert ${source.alertname} (firing since ${source.since})` : 'a firewall request';
    const beside = reading ? `; the ${reading.source} reads ${signalValue(signal, reading.value)}` : '';
    return [`${signalLabel(signal)} ${signalValue(signal, value)} from ${from}${beside}`];
  });
}
