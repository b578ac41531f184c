import type { Redis } from 'ioredis';
import { decide } from '../core/decide/decide.js';
import type { SeverityClassifier } from '../core/model/classifier.js';
import type { Policy } from '../core/policy/policy.js';
import { formatDuration } from '../core/policy/duration.js';
import { hostSchema, type Snapshot } from '../core/snapshot/schema.js';
import { mergeSignals, type Reading } from '../core/signals/merge.js';
import { readHost } from '../pipeline/host-read.js';
import { mergedSnapshot, signalsOf } from '../pipeline/signals.js';
import { historyPoint, readContext } from '../pipeline/host-state.js';
import type { DiagnoseOutcome, Diagnoser, OpenIncident } from './types.js';

/** A fresh measurement, or why there is none (in words for humans, without a final full stop). */
export type ProbeAnswer =
  | { readonly ok: true; readonly snapshot: Snapshot; readonly at: number }
  | { readonly ok: false; readonly why: string };

/** Asks a host's agent for a fresh measurement, waiting at most `timeoutMs`. */
export interface FreshProbe {
  measure(host: string, timeoutMs: number): Promise<ProbeAnswer>;
}

export interface DiagnoseDeps {
  readonly redis: Redis;
  readonly classifier: SeverityClassifier;
  readonly policy: Policy;
  readonly now: () => Date;
  /** The agent's side; without it every answer is the last stored snapshot. */
  readonly probe?: FreshProbe;
  /** How long to wait for the agent. */
  readonly timeoutMs: number;
}

/** How long /diagnose waits for a live agent's fresh snapshot before answering from the last one. */
export const DIAGNOSE_TIMEOUT_MS = 5000;

/**
 * The backend of `/diagnose`: a fresh snapshot from the host's agent when it
 * answers within the timeout, the last stored one (with its age) when not,
 * evaluated by the same model and policy as the pipeline with the host's
 * real context. Read-only: a diagnosis opens no incident and runs nothing.
 */
export class DiagnoseService implements Diagnoser {
  constructor(private readonly deps: DiagnoseDeps) {}

  async diagnose(rawHost: string): Promise<DiagnoseOutcome> {
    const parsed = hostSchema.safeParse(rawHost);
    if (!parsed.success)
      return { ok: false, reason: 'invalid_host', message: `"${rawHost.slice(0, 80)}" is not a host name.` };
    const host = parsed.data;
    const { redis } = this.deps;
    const stored = await readHost(redis, host);
    const answer = this.deps.probe ? await this.deps.probe.measure(host, this.deps.timeoutMs) : undefined;
    const probed = answer?.ok ? answer : undefined;
    if (!probed && !stored)
      return { ok: false, reason: 'unknown_host', message: `No snapshot of ${host} has ever arrived.` };

    const now = this.deps.now().getTime();
    const context = await readContext(redis, host, now);
    const measured = probed?.snapshot ?? stored!.snapshot;
    const reading: Reading | undefined = probed
      ? { source: 'agent', values: signalsOf(measured), at: probed.at }
      : context.reading;
    const merged = mergeSignals({
      reading,
      claims: context.alerts,
      firewallRequests: context.firewallRequests.length,
      now,
    });
    const snapshot = mergedSnapshot(host, measured.ts, merged);
    const measuredAt = probed?.at ?? Date.parse(stored!.updated_at);
    const age = Math.max(0, now - measuredAt);
    const note = probed
      ? null
      : answer && !answer.ok
        ? `${answer.why}: this is its last snapshot, ${formatDuration(age)} old.`
        : `No agent was asked: this is the last snapshot of ${host}, ${formatDuration(age)} old.`;
    const decision = decide(snapshot, this.deps.classifier, this.deps.policy, context);
    const history = stored?.history ?? [];
    if (probed) history.push(historyPoint(snapshot, probed.at));
    return {
      ok: true,
      diagnosis: {
        host,
        fresh: probed !== undefined,
        snapshot,
        sources: merged.views,
        measured_at: new Date(measuredAt).toISOString(),
        age_ms: age,
        note,
        decision,
        incidents: (stored?.incidents ?? []).map(toOpenIncident),
        history,
      },
    };
  }
}

function toOpenIncident(r: Record<string, string>): OpenIncident {
  return {
    id: r.id ?? '',
    signal: r.signal ?? '',
    opened_at: r.opened_at ?? '',
    value: Number(r.value),
    threshold: Number(r.threshold),
    approval_id: r.approval_id ? r.approval_id : null,
  };
}
