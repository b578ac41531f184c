import type { Redis } from 'ioredis';
import { DAY_MS, floorTo, HOUR_MS, ROLLUP_TTL_MS, type AuditKeys } from './keys.js';
import { AuditInputError } from './errors.js';
import { ALL_HOSTS_FIELD, CounterSum, type AuditCounters } from './rollup.js';

export interface AuditSummary extends AuditCounters {
  /**
   * The window actually counted: rollups are hourly, so it is the requested
   * one widened to whole UTC hours (`until` exclusive).
   */
  window: { since: string; until: string };
  host: string | null;
  /** Entries without a host (fleet-wide events) count in the totals only. */
  per_host: Record<string, AuditCounters>;
  /** Every UTC day the window touches, oldest first, zeros included. */
  per_day: Array<{ day: string } & AuditCounters>;
}

export const MAX_SUMMARY_DAYS = Math.floor(ROLLUP_TTL_MS / DAY_MS);

interface Bucket {
  key: string;
  day: string;
}

/**
 * Whole days inside the window are read from day buckets and the ragged ends
 * from hour buckets, so a 7-day summary reads at most ~55 hashes, each with
 * one field per host: the cost follows the window and the fleet, never the
 * number of entries.
 */
export function planBuckets(keys: AuditKeys, startMs: number, endMs: number): Bucket[] {
  const buckets: Bucket[] = [];
  for (let t = startMs; t < endMs;) {
    const day = new Date(t).toISOString().slice(0, 10);
    if (t % DAY_MS === 0 && t + DAY_MS <= endMs) {
      buckets.push({ key: keys.dayBucket(t), day });
      t += DAY_MS;
    } else {
      buckets.push({ key: keys.hourBucket(t), day });
      t += HOUR_MS;
    }
  }
  return buckets;
}

export async function readSummary(
  redis: Redis,
  keys: AuditKeys,
  filter: { since: Date; until: Date; host?: string | undefined },
): Promise<AuditSummary> {
  const startMs = floorTo(filter.since.getTime(), HOUR_MS);
  const endMs = floorTo(filter.until.getTime(), HOUR_MS) + HOUR_MS;
  if (endMs - startMs > MAX_SUMMARY_DAYS * DAY_MS) {
    throw new AuditInputError(`summary window longer than ${MAX_SUMMARY_DAYS} days, the rollup retention`);
  }
  const buckets = planBuckets(keys, startMs, endMs);
  const host = filter.host;

  const total = new CounterSum();
  const perDay = new Map<string, CounterSum>();
  const perHost = new Map<string, CounterSum>();
  for (let t = floorTo(startMs, DAY_MS); t < endMs; t += DAY_MS) {
    perDay.set(new Date(t).toISOString().slice(0, 10), new CounterSum());
  }
  const hostSum = (name: string) => {
    let sum = perHost.get(name);
    if (!sum) perHost.set(name, (sum = new CounterSum()));
    return sum;
  };

  const pipeline = redis.pipeline();
  for (const b of buckets) {
    if (host === undefined) pipeline.hgetallBuffer(b.key);
    else pipeline.hgetBuffer(b.key, host);
  }
  const replies = (await pipeline.exec()) ?? [];
  buckets.forEach((bucket, i) => {
    const [err, reply] = replies[i] ?? [new Error('no reply from Redis')];
    if (err) throw err;
    const day = perDay.get(bucket.day)!;
    if (host !== undefined) {
      if (!Buffer.isBuffer(reply)) return;
      day.addPacked(reply);
      hostSum(host).addPacked(reply);
      return;
    }
    for (const [field, packed] of Object.entries(reply as Record<string, Buffer>)) {
      if (field === ALL_HOSTS_FIELD) day.addPacked(packed);
      else hostSum(field).addPacked(packed);
    }
  });
  for (const day of perDay.values()) total.add(day);

  return {
    window: { since: new Date(startMs).toISOString(), until: new Date(endMs).toISOString() },
    host: host ?? null,
    ...total.counters(),
    per_host: Object.fromEntries(
      [...perHost.keys()].sort().map((name) => [name, perHost.get(name)!.counters()] as const),
    ),
    per_day: [...perDay].map(([day, sum]) => ({ day, ...sum.counters() })),
  };
}
