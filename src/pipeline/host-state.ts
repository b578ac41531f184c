import type { ChainableCommander, Redis } from 'ioredis';
import type { Decision, DecisionContext } from '../core/decide/types.js';
import { SIGNALS, type Snapshot } from '../core/snapshot/schema.js';
import { keys } from '../redis/keys.js';

/** How many past snapshots each host keeps for trends. */
export const HISTORY_LENGTH = 60;
const DAY_MS = 86_400_000;

export interface HostContext extends DecisionContext {
  /** Pending firewall change requests, as stored (JSON). */
  readonly firewallRequests: readonly string[];
}

/** A compact history point: [epoch ms, disk, memory, cpu, dns, firewall]. */
export type HistoryPoint = [number, number, number, number, number, number];

export function historyPoint(s: Snapshot, at: number): HistoryPoint {
  return [at, s.disk_usage, s.memory_usage, s.cpu_usage, s.dns_latency_ms, s.firewall_change_requested];
}

function queueContextReads(pipeline: ChainableCommander, host: string, now: number): void {
  pipeline
    .hgetall(keys.hostIncidents(host))
    .zrangebyscore(keys.autoHeals(host), now - DAY_MS, '+inf', 'WITHSCORES')
    .lrange(keys.firewallRequests(host), 0, -1);
}

const READS_PER_HOST = 3;

function contextFrom(replies: readonly [Error | null, unknown][], healing: string[], now: number): HostContext {
  for (const [err] of replies) if (err) throw err;
  const incidents = (replies[0]?.[1] ?? {}) as Record<string, string>;
  const heals = (replies[1]?.[1] ?? []) as string[];
  const firewallRequests = (replies[2]?.[1] ?? []) as string[];
  const recentAutoHeals: { action: string; at: number }[] = [];
  for (let i = 0; i + 1 < heals.length; i += 2)
    recentAutoHeals.push({ action: heals[i]!.split('|')[0]!, at: Number(heals[i + 1]) });
  const open = SIGNALS.filter((s) => incidents[s] !== undefined);
  return { now, openIncidents: open, recentAutoHeals, hostsAutoHealing: healing, firewallRequests };
}

/**
 * What the decision needs to know about each host (open incidents, recent
 * auto-heals, hosts healing fleet-wide, pending firewall requests), for a
 * whole batch of hosts in one round trip.
 */
export async function readContexts(
  redis: Redis,
  hosts: readonly string[],
  now: number,
): Promise<Map<string, HostContext>> {
  // The fleet-wide part once for the whole batch, then each host's own.
  const pipeline = redis.pipeline().zrangebyscore(keys.autoHealing, now, '+inf');
  for (const host of hosts) queueContextReads(pipeline, host, now);
  const replies = (await pipeline.exec()) ?? [];
  const [healingError, healing] = replies[0] ?? [null, []];
  if (healingError) throw healingError;
  const perHost = (i: number) => replies.slice(1 + i * READS_PER_HOST, 1 + (i + 1) * READS_PER_HOST);
  return new Map(hosts.map((host, i) => [host, contextFrom(perHost(i), healing as string[], now)]));
}

export async function readContext(redis: Redis, host: string, now: number): Promise<HostContext> {
  return (await readContexts(redis, [host], now)).get(host)!;
}

/**
 * The hosts' new state from one batch: latest snapshot and decision, trend
 * history and decision counts. Gathered in memory and written in one
 * pipeline, a host that sent several snapshots costs one write of each kind.
 */
export class StateWrites {
  private readonly latest = new Map<string, { snapshot: Snapshot; decision: Decision; at: number }>();
  private readonly points = new Map<string, string[]>();
  private readonly counts = new Map<string, number>();

  add(snapshot: Snapshot, decision: Decision, at: number): void {
    this.latest.set(snapshot.host, { snapshot, decision, at });
    const list = this.points.get(snapshot.host);
    const point = JSON.stringify(historyPoint(snapshot, at));
    if (list) list.push(point);
    else this.points.set(snapshot.host, [point]);
    const field = `decisions:${decision.decision}`;
    this.counts.set(field, (this.counts.get(field) ?? 0) + 1);
  }

  async flush(redis: Redis): Promise<void> {
    if (this.latest.size === 0) return;
    const pipeline = redis.pipeline();
    for (const [host, { snapshot, decision, at }] of this.latest) {
      pipeline
        .hset(
          keys.host(host),
          'snapshot',
          JSON.stringify(snapshot),
          'decision',
          JSON.stringify(decision),
          'updated_at',
          String(at),
        )
        .lpush(keys.history(host), ...(this.points.get(host) ?? []))
        .ltrim(keys.history(host), 0, HISTORY_LENGTH - 1)
        .zadd(keys.hosts, at, host);
    }
    for (const [field, n] of this.counts) pipeline.hincrby(keys.stats, field, n);
    const replies = (await pipeline.exec()) ?? [];
    for (const [err] of replies) if (err) throw err;
  }
}

/** Remembers an auto-heal for cooldowns and breakers; `until` is when it stops counting as in flight. */
export async function recordAutoHeal(
  redis: Redis,
  host: string,
  action: string,
  jobKey: string,
  at: number,
  until: number,
): Promise<void> {
  await redis
    .pipeline()
    .zadd(keys.autoHeals(host), at, `${action}|${jobKey}`)
    .zremrangebyscore(keys.autoHeals(host), '-inf', at - DAY_MS)
    .zadd(keys.autoHealing, 'GT', until, host)
    .zremrangebyscore(keys.autoHealing, '-inf', at)
    .exec();
}
