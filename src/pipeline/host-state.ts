import type { Redis } from 'ioredis';
import type { Decision, DecisionContext } from '../core/decide/types.js';
import type { AlertClaim, Reading } from '../core/signals/merge.js';
import { SIGNALS, type Snapshot } from '../core/snapshot/schema.js';
import { hostOfAutoHealing, keys } from '../redis/keys.js';
import { LuaScript } from '../redis/lua.js';
import { parseClaims, storedReading, type StoredSignals } from './signals.js';

/** How many past snapshots each host keeps for trends. */
export const HISTORY_LENGTH = 60;
/** The day's trend (the console's host page): one point per bucket, a little over 24 hours of them. */
export const DAY_BUCKET_MS = 5 * 60_000;
export const DAY_BUCKETS = 300;
const DAY_MS = 86_400_000;

export interface HostContext extends DecisionContext {
  /** Pending firewall change requests, as stored (JSON). */
  readonly firewallRequests: readonly string[];
  /**
   * Nothing but the record (trend, counters): a later batch has claimed the
   * host, so this one's snapshots are older than what is being decided, or
   * an earlier attempt of this batch has decided the snapshot.
   */
  readonly recordOnly: boolean;
  /**
   * How many of this host's snapshots in this batch an earlier attempt of it
   * finished: those before the last one it changed incidents for.
   */
  readonly decided: number;
  /** Firing alerts' claims on the host's signals, and its latest reading (see src/core/signals/merge.ts). */
  readonly alerts: readonly AlertClaim[];
  readonly reading: Reading | undefined;
}

/**
 * Trend points are scored `arrival * ARRIVAL_SLOTS + index`; a job holds at
 * most the ingest's batch plus one request (500 + 1000), well under this.
 */
const ARRIVAL_SLOTS = 4096;

/** A compact history point: [epoch ms, disk, memory, cpu, dns, firewall]. */
export type HistoryPoint = [number, number, number, number, number, number];

export function historyPoint(s: Snapshot, at: number): HistoryPoint {
  return [at, s.disk_usage, s.memory_usage, s.cpu_usage, s.dns_latency_ms, s.firewall_change_requested];
}

type Reply = (string[] | number | string)[];

function contextFrom(reply: Reply, at: number, healing: readonly string[], now: number, arrival: number): HostContext {
  const list = (i: number): string[] => {
    const v = reply[at + i];
    return Array.isArray(v) ? v : [];
  };
  const [incidents, heals, firewallRequests] = [list(0), list(1), list(2)];
  const open = new Set<string>();
  for (let i = 0; i < incidents.length; i += 2) open.add(incidents[i]!);
  const recentAutoHeals: { action: string; at: number }[] = [];
  for (let i = 0; i + 1 < heals.length; i += 2)
    recentAutoHeals.push({ action: heals[i]!.split('|')[0]!, at: Number(heals[i + 1]) });
  const [decidedArrival, decidedCount] = String(reply[at + 4] ?? '').split(':');
  // signals, snapshot, updated_at: the latest reading, or what stood for it before readings were kept.
  const state = list(6) as (string | null)[];
  return {
    now,
    openIncidents: SIGNALS.filter((s) => open.has(s)),
    recentAutoHeals,
    hostsAutoHealing: healing.map(hostOfAutoHealing),
    firewallRequests,
    recordOnly: reply[at + 3] === 1,
    decided: Number(decidedArrival) === arrival && arrival > 0 ? Number(decidedCount) : 0,
    alerts: parseClaims(list(5)),
    reading: storedReading(state[0], state[1], state[2]),
  };
}

/**
 * What the decision needs to know about each host (open incidents, recent
 * auto-heals, hosts healing fleet-wide, pending firewall requests), for a
 * whole batch of hosts in one script call. A deciding batch passes its
 * arrival number and so claims the hosts; a reader that decides nothing
 * (diagnose, verification) passes none.
 */
export async function readContexts(
  redis: Redis,
  hosts: readonly string[],
  now: number,
  arrival = 0,
): Promise<Map<string, HostContext>> {
  const script = await LuaScript.load('host-context-read');
  const reply = (await script.run(
    redis,
    [
      keys.autoHealing,
      ...hosts.flatMap((h) => [
        keys.host(h),
        keys.hostIncidents(h),
        keys.autoHeals(h),
        keys.firewallRequests(h),
        keys.hostAlerts(h),
      ]),
    ],
    [now, now - DAY_MS, arrival, keys.incident('')],
  )) as Reply;
  const healing = Array.isArray(reply[0]) ? reply[0] : [];
  return new Map(hosts.map((host, i) => [host, contextFrom(reply, 1 + 7 * i, healing, now, arrival)]));
}

export async function readContext(redis: Redis, host: string, now: number, arrival = 0): Promise<HostContext> {
  return (await readContexts(redis, [host], now, arrival)).get(host)!;
}

/** Trend points as stored: `score:point JSON`, the score keeping identical points apart. */
export function parseTrendMember(member: string): HistoryPoint {
  return JSON.parse(member.slice(member.indexOf(':') + 1)) as HistoryPoint;
}

/**
 * The hosts' new state from one batch: latest snapshot and decision, trend
 * history and decision counts. Gathered in memory and written in one
 * pipeline, a host that sent several snapshots costs one write of each kind.
 */
export class StateWrites {
  private readonly latest = new Map<string, { snapshot: Snapshot; decision: Decision; at: number }>();
  private readonly points = new Map<string, (string | number)[]>();
  private readonly counts = new Map<string, number>();
  private readonly signals = new Map<string, StoredSignals>();

  /** `arrival` is the batch's number: where its points go in each host's trend. */
  constructor(private readonly arrival: number) {}

  add(snapshot: Snapshot, decision: Decision, at: number): void {
    this.latest.set(snapshot.host, { snapshot, decision, at });
    let pairs = this.points.get(snapshot.host);
    if (!pairs) this.points.set(snapshot.host, (pairs = []));
    const score = this.arrival * ARRIVAL_SLOTS + pairs.length / 2;
    pairs.push(score, `${score}:${JSON.stringify(historyPoint(snapshot, at))}`);
    const field = `decisions:${decision.decision}`;
    this.counts.set(field, (this.counts.get(field) ?? 0) + 1);
  }

  /** Where the host's values came from, kept beside its latest snapshot. */
  addSignals(host: string, signals: StoredSignals): void {
    this.signals.set(host, signals);
  }

  /** One script call for the whole batch: its client-side cost does not grow with a command per host. */
  async flush(redis: Redis): Promise<void> {
    if (this.latest.size === 0) return;
    const stateKeys: string[] = [keys.hosts, keys.stats];
    const first = this.arrival * ARRIVAL_SLOTS;
    const args: (string | number)[] = [
      HISTORY_LENGTH,
      this.latest.size,
      this.arrival,
      first,
      first + ARRIVAL_SLOTS - 1,
      DAY_BUCKET_MS,
      DAY_BUCKETS,
    ];
    for (const [host, { snapshot, decision, at }] of this.latest) {
      const pairs = this.points.get(host) ?? [];
      stateKeys.push(keys.host(host), keys.history(host), keys.historyDay(host));
      const signals = this.signals.get(host);
      args.push(host, JSON.stringify(snapshot), JSON.stringify(decision), at);
      args.push(signals ? JSON.stringify(signals) : '', pairs.length / 2, ...pairs);
    }
    for (const [field, n] of this.counts) args.push(field, n);
    await (await LuaScript.load('host-state-write')).run(redis, stateKeys, args);
  }
}
