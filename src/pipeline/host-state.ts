import type { Redis } from 'ioredis';
import type { Decision, DecisionContext } from '../core/decide/types.js';
import { SIGNALS, type Snapshot } from '../core/snapshot/schema.js';
import { autoHealingMember, hostOfAutoHealing, keys } from '../redis/keys.js';
import { LuaScript } from '../redis/lua.js';

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

function contextFrom(
  incidents: readonly string[],
  heals: readonly string[],
  firewallRequests: readonly string[],
  healing: string[],
  now: number,
): HostContext {
  const open = new Set<string>();
  for (let i = 0; i < incidents.length; i += 2) open.add(incidents[i]!);
  const recentAutoHeals: { action: string; at: number }[] = [];
  for (let i = 0; i + 1 < heals.length; i += 2)
    recentAutoHeals.push({ action: heals[i]!.split('|')[0]!, at: Number(heals[i + 1]) });
  return {
    now,
    openIncidents: SIGNALS.filter((s) => open.has(s)),
    recentAutoHeals,
    hostsAutoHealing: healing,
    firewallRequests,
  };
}

/**
 * What the decision needs to know about each host (open incidents, recent
 * auto-heals, hosts healing fleet-wide, pending firewall requests), for a
 * whole batch of hosts in one script call.
 */
export async function readContexts(
  redis: Redis,
  hosts: readonly string[],
  now: number,
): Promise<Map<string, HostContext>> {
  const script = await LuaScript.load('host-context-read');
  const reply = (await script.run(
    redis,
    [keys.autoHealing, ...hosts.flatMap((h) => [keys.hostIncidents(h), keys.autoHeals(h), keys.firewallRequests(h)])],
    [now, now - DAY_MS],
  )) as string[][];
  const healing = (reply[0] ?? []).map(hostOfAutoHealing);
  return new Map(
    hosts.map((host, i) => [
      host,
      contextFrom(reply[1 + 3 * i] ?? [], reply[2 + 3 * i] ?? [], reply[3 + 3 * i] ?? [], healing, now),
    ]),
  );
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

  /** One script call for the whole batch: its client-side cost does not grow with a command per host. */
  async flush(redis: Redis): Promise<void> {
    if (this.latest.size === 0) return;
    const stateKeys: string[] = [keys.hosts, keys.stats];
    const args: (string | number)[] = [HISTORY_LENGTH, this.latest.size];
    for (const [host, { snapshot, decision, at }] of this.latest) {
      const points = this.points.get(host) ?? [];
      stateKeys.push(keys.host(host), keys.history(host));
      args.push(host, JSON.stringify(snapshot), JSON.stringify(decision), at, points.length, ...points);
    }
    for (const [field, n] of this.counts) args.push(field, n);
    await (await LuaScript.load('host-state-write')).run(redis, stateKeys, args);
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
    .zadd(keys.autoHealing, 'GT', until, autoHealingMember(host, jobKey))
    .zremrangebyscore(keys.autoHealing, '-inf', at)
    .exec();
}
