import type { Redis } from 'ioredis';
import { decide } from '../core/decide/decide.js';
import type { SeverityClassifier } from '../core/model/classifier.js';
import type { Policy } from '../core/policy/policy.js';
import { hostSchema, type Snapshot } from '../core/snapshot/schema.js';
import { readContext, type HistoryPoint } from '../pipeline/host-state.js';
import { incidentRecords } from '../pipeline/incidents.js';
import { keys } from '../redis/keys.js';
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

export const ago = (ms: number) =>
  ms < 90_000
    ? `${Math.round(ms / 1000)}s`
    : ms < 5_400_000
      ? `${Math.round(ms / 60_000)}m`
      : `${Math.round(ms / 3_600_000)}h`;

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
    const [state, rawHistory, open] = await Promise.all([
      redis.hgetall(keys.host(host)),
      redis.lrange(keys.history(host), 0, -1),
      redis.hgetall(keys.hostIncidents(host)),
    ]);
    const answer = this.deps.probe ? await this.deps.probe.measure(host, this.deps.timeoutMs) : undefined;
    const probed = answer?.ok ? answer : undefined;
    if (!probed && !state.snapshot)
      return { ok: false, reason: 'unknown_host', message: `No snapshot of ${host} has ever arrived.` };

    const now = this.deps.now().getTime();
    const snapshot = probed?.snapshot ?? (JSON.parse(state.snapshot!) as Snapshot);
    const measuredAt = probed?.at ?? Number(state.updated_at);
    const age = Math.max(0, now - measuredAt);
    const note = probed
      ? null
      : answer && !answer.ok
        ? `${answer.why}: this is its last snapshot, ${ago(age)} old.`
        : `No agent was asked: this is the last snapshot of ${host}, ${ago(age)} old.`;
    const context = await readContext(redis, host, now);
    const decision = decide(snapshot, this.deps.classifier, this.deps.policy, context);
    const history = rawHistory.map((h) => JSON.parse(h) as HistoryPoint).reverse();
    if (probed) history.push([probed.at, ...signalsOf(snapshot)]);
    const incidents = (await incidentRecords(redis, Object.values(open))).map(toOpenIncident);
    return {
      ok: true,
      diagnosis: {
        host,
        fresh: probed !== undefined,
        snapshot,
        measured_at: new Date(measuredAt).toISOString(),
        age_ms: age,
        note,
        decision,
        incidents,
        history,
      },
    };
  }
}

function signalsOf(s: Snapshot): [number, number, number, number, number] {
  return [s.disk_usage, s.memory_usage, s.cpu_usage, s.dns_latency_ms, s.firewall_change_requested];
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
