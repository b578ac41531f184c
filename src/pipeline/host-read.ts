import type { Redis } from 'ioredis';
import type { Decision } from '../core/decide/types.js';
import type { SignalViews } from '../core/signals/merge.js';
import type { Snapshot } from '../core/snapshot/schema.js';
import { keys } from '../redis/keys.js';
import { parseTrendMember, type HistoryPoint } from './host-state.js';
import { incidentRecords } from './incidents.js';
import { storedViews } from './signals.js';

/** One known host as the API and the console list it. */
export interface HostListing {
  readonly host: string;
  readonly last_seen: string;
  readonly snapshot: Snapshot | null;
  readonly decision: Decision | null;
  readonly open_incidents: number;
}

export interface HostDetail {
  readonly host: string;
  readonly updated_at: string;
  readonly snapshot: Snapshot;
  readonly decision: Decision | null;
  /** Oldest first, as a chart draws them. */
  readonly history: HistoryPoint[];
  readonly incidents: Record<string, string>[];
  /** Per signal: its value, where it came from (agent, push, alert, firewall) and the reading beside it. */
  readonly sources: SignalViews | null;
}

const parseJson = <T>(text: string | null | undefined): T | null => (text ? (JSON.parse(text) as T) : null);

/** The given hosts (default: every known one, most recently seen first), in one round trip after the index. */
export async function listHosts(redis: Redis, only?: readonly string[]): Promise<HostListing[]> {
  const seen = only
    ? only.length === 0
      ? []
      : (await redis.zmscore(keys.hosts, ...only)).map((score, i) => [only[i]!, score] as const)
    : pairs(await redis.zrevrange(keys.hosts, 0, 999, 'WITHSCORES'));
  const known = seen.filter((s): s is readonly [string, string] => s[1] !== null);
  const m = redis.multi();
  for (const [host] of known) m.hmget(keys.host(host), 'snapshot', 'decision').hlen(keys.hostIncidents(host));
  const replies = (await m.exec()) ?? [];
  return known.map(([host, score], i) => {
    const [snapshot, decision] = (replies[2 * i]?.[1] ?? []) as (string | null)[];
    return {
      host,
      last_seen: new Date(Number(score)).toISOString(),
      snapshot: parseJson<Snapshot>(snapshot),
      decision: parseJson<Decision>(decision),
      open_incidents: (replies[2 * i + 1]?.[1] ?? 0) as number,
    };
  });
}

function pairs(flat: readonly string[]): (readonly [string, string])[] {
  const out: (readonly [string, string])[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}

/** A host's recent history, oldest first. */
export async function readHistory(redis: Redis, host: string): Promise<HistoryPoint[]> {
  return (await redis.zrange(keys.history(host), 0, -1)).map(parseTrendMember);
}

/** Latest snapshot and decision, history and open incidents; undefined for a host never seen. */
/** Where each of a host's signals came from, as its state keeps it; null for a host without one. */
export async function readSources(redis: Redis, host: string): Promise<SignalViews | null> {
  return storedViews(await redis.hget(keys.host(host), 'signals'));
}

export async function readHost(redis: Redis, host: string): Promise<HostDetail | undefined> {
  const [state, history, open] = await Promise.all([
    redis.hgetall(keys.host(host)),
    readHistory(redis, host),
    redis.hgetall(keys.hostIncidents(host)),
  ]);
  if (!state.snapshot) return undefined;
  return {
    host,
    updated_at: new Date(Number(state.updated_at)).toISOString(),
    snapshot: JSON.parse(state.snapshot) as Snapshot,
    decision: parseJson<Decision>(state.decision),
    history,
    incidents: await incidentRecords(redis, Object.values(open)),
    sources: storedViews(state.signals),
  };
}
