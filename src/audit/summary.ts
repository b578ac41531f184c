import type { Redis } from 'ioredis';
import { z } from 'zod';
import { DAY_MS, floorTo, HOUR_MS, ROLLUP_TTL_MS, type AuditKeys } from './keys.js';
import { AuditInputError, AuditIntegrityError } from './errors.js';
import type { LuaScript } from './lua.js';
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

const replySchema = z.array(z.instanceof(Buffer));

/** Calls `add(field, offset, count)` for each field of one bucket as audit-summary.lua packs it. */
function eachField(packed: Buffer, add: (field: string, offset: number, count: number) => void): void {
  for (let pos = 0; pos < packed.length;) {
    const nul = packed.indexOf(0, pos);
    const count = packed[nul + 1];
    if (nul < 0 || count === undefined || nul + 2 + count * 8 > packed.length) {
      throw new AuditIntegrityError('unreadable reply from the audit summary script');
    }
    add(packed.toString('latin1', pos, nul), nul + 2, count);
    pos = nul + 2 + count * 8;
  }
}

export async function readSummary(
  redis: Redis,
  keys: AuditKeys,
  script: LuaScript,
  filter: { since: Date; until: Date; host?: string | undefined },
): Promise<AuditSummary> {
  const startMs = floorTo(filter.since.getTime(), HOUR_MS);
  const endMs = floorTo(filter.until.getTime(), HOUR_MS) + HOUR_MS;
  if (endMs - startMs > MAX_SUMMARY_DAYS * DAY_MS) {
    throw new AuditInputError(`summary window longer than ${MAX_SUMMARY_DAYS} days, the rollup retention`);
  }
  const buckets = planBuckets(keys, startMs, endMs);
  const host = filter.host;

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

  const reply = replySchema.parse(
    await script.runBuffer(
      redis,
      buckets.map((b) => b.key),
      [host ?? ''],
    ),
  );
  buckets.forEach((bucket, i) => {
    const day = perDay.get(bucket.day)!;
    eachField(reply[i] ?? Buffer.alloc(0), (field, offset, count) => {
      const packed = reply[i]!;
      // With a host filter its field stands for the whole window; without, '*' does.
      if (field === ALL_HOSTS_FIELD || host !== undefined) day.addPacked(packed, offset, count);
      if (field !== ALL_HOSTS_FIELD) hostSum(field).addPacked(packed, offset, count);
    });
  });
  const total = new CounterSum();
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
