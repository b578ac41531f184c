import type { Redis } from 'ioredis';
import type { Decision } from '../../src/core/decide/types.js';
import type { Snapshot } from '../../src/core/snapshot/schema.js';
import { isSilent } from '../../src/agent/heartbeat.js';
import { listHosts } from '../../src/pipeline/host-read.js';
import { parseTrendMember, type HistoryPoint } from '../../src/pipeline/host-state.js';
import { keys } from '../../src/redis/keys.js';

/** Points per row's trend charts: the last few minutes at the usual poll rate. */
const ROW_TREND = 30;
/** Without a stated interval, the agent's default poll period. */
const DEFAULT_INTERVAL_MS = 15_000;

/** An agent's heartbeat as the console shows it; null on the row when the host has no agent. */
export interface AgentView {
  readonly last_seen: string;
  readonly interval_ms: number;
  readonly version: string | null;
  readonly alive: boolean;
}

export interface HostRow {
  readonly host: string;
  readonly last_seen: string;
  readonly snapshot: Snapshot | null;
  readonly decision: Pick<Decision, 'decision' | 'rule' | 'reasons'> | null;
  readonly open_incidents: number;
  /** Oldest first: [ms, disk, memory, cpu, dns, firewall]. */
  readonly history: readonly HistoryPoint[];
  readonly agent: AgentView | null;
}

/**
 * Liveness from the `healgate:agent:<host>` hash, by the rule the bot's
 * liveness watch applies: silent after the policy's `heartbeat_multiple`
 * of the agent's own interval.
 */
export function agentView(hash: Record<string, string>, now: number, multiple: number): AgentView | null {
  const lastSeen = Number(hash.last_seen);
  if (!Number.isFinite(lastSeen) || lastSeen <= 0) return null;
  const interval = Number(hash.interval_ms) > 0 ? Number(hash.interval_ms) : DEFAULT_INTERVAL_MS;
  return {
    last_seen: new Date(lastSeen).toISOString(),
    interval_ms: interval,
    version: hash.version ?? null,
    alive: !isSilent({ last_seen: lastSeen, interval_ms: interval }, now, multiple),
  };
}

/** Agent heartbeats of these hosts, in one round trip. */
export async function agentViews(
  redis: Redis,
  hosts: readonly string[],
  now: number,
  multiple: number,
): Promise<(AgentView | null)[]> {
  const m = redis.multi();
  for (const host of hosts) m.hgetall(keys.agent(host));
  const replies = (await m.exec()) ?? [];
  return hosts.map((_, i) => agentView((replies[i]?.[1] ?? {}) as Record<string, string>, now, multiple));
}

/** The hosts table: every known host (or the given ones) with its trend and agent. */
export async function hostRows(
  redis: Redis,
  now: number,
  multiple: number,
  only?: readonly string[],
): Promise<HostRow[]> {
  const listed = await listHosts(redis, only);
  const names = listed.map((h) => h.host);
  const m = redis.multi();
  for (const host of names) m.zrange(keys.history(host), -ROW_TREND, -1);
  const [histories, agents] = await Promise.all([m.exec(), agentViews(redis, names, now, multiple)]);
  return listed.map((h, i) => ({
    host: h.host,
    last_seen: h.last_seen,
    snapshot: h.snapshot,
    decision: h.decision
      ? { decision: h.decision.decision, rule: h.decision.rule, reasons: h.decision.reasons.slice(0, 3) }
      : null,
    open_incidents: h.open_incidents,
    history: ((histories?.[i]?.[1] ?? []) as string[]).map(parseTrendMember),
    agent: agents[i] ?? null,
  }));
}

/** The host's last day, downsampled (one point per bucket), oldest first: the host page's long trend. */
export async function dayHistory(redis: Redis, host: string): Promise<HistoryPoint[]> {
  return (await redis.zrange(keys.historyDay(host), 0, -1)).map(parseTrendMember);
}
