import type { Redis } from 'ioredis';
import { z } from 'zod';
import { DAY_MS, floorTo, HOUR_MS, ROLLUP_TTL_MS, type AuditKeys } from './keys.js';
import { AuditInputError, AuditIntegrityError } from './errors.js';
import type { LuaScript } from '../redis/lua.js';
import { ALL_HOSTS_RECORD, CounterSum, NAME_BYTES, RECORD_BYTES, rollupDeltas, type AuditCounters } from './rollup.js';
import { toRecord, walkStream } from './stream.js';

export interface AuditSummary extends AuditCounters {
  /** The window counted, exactly as asked (`until` exclusive). */
  window: { since: string; until: string };
  host: string | null;
  /** Entries without a host (fleet-wide events) count in the totals only. */
  per_host: Record<string, AuditCounters>;
  /** Every UTC day the window touches, oldest first, zeros included. */
  per_day: Array<{ day: string } & AuditCounters>;
}

export const MAX_SUMMARY_DAYS = Math.floor(ROLLUP_TTL_MS / DAY_MS);

interface Bucket {
  keys: [counters: string, index: string];
  day: string;
}

/**
 * Whole days inside the window are read from day buckets and the ragged ends
 * from hour buckets, so a 7-day summary reads at most ~55 strings of one
 * record per host: the cost follows the window and the fleet, never the
 * number of entries.
 */
export function planBuckets(keys: AuditKeys, startMs: number, endMs: number): Bucket[] {
  const buckets: Bucket[] = [];
  for (let t = startMs; t < endMs;) {
    const day = new Date(t).toISOString().slice(0, 10);
    if (t % DAY_MS === 0 && t + DAY_MS <= endMs) {
      buckets.push({ keys: keys.dayBucket(t), day });
      t += DAY_MS;
    } else {
      buckets.push({ keys: keys.hourBucket(t), day });
      t += HOUR_MS;
    }
  }
  return buckets;
}

const replySchema = z.array(z.instanceof(Buffer).nullable());

/** Calls `add(name, offset)` for each record in one bucket's counters. */
function eachRecord(counters: Buffer, add: (name: string, view: DataView, offset: number) => void): void {
  if (counters.length % RECORD_BYTES !== 0) {
    throw new AuditIntegrityError(`audit rollup of ${counters.length} bytes is not a whole number of records`);
  }
  const view = new DataView(counters.buffer, counters.byteOffset, counters.byteLength);
  for (let offset = 0; offset < counters.length; offset += RECORD_BYTES) {
    const end = counters.indexOf(0, offset);
    const name = counters.toString('latin1', offset, end < 0 || end > offset + NAME_BYTES ? offset + NAME_BYTES : end);
    add(name, view, offset);
  }
}

/**
 * Whole UTC hours inside the window come from the rollups; its ragged ends
 * (less than an hour at each end) from the entries themselves, so that
 * "the last 1h" counts one hour, not the two clock hours it touches. Audit
 * entries are events (incidents, approvals, actions), not snapshots, so an
 * hour's worth is small.
 */
export async function readSummary(
  redis: Redis,
  keys: AuditKeys,
  script: LuaScript,
  filter: { since: Date; until: Date; host?: string | undefined },
): Promise<AuditSummary> {
  const sinceMs = filter.since.getTime();
  const untilMs = filter.until.getTime();
  const startMs = floorTo(sinceMs, HOUR_MS);
  const endMs = floorTo(untilMs, HOUR_MS) + HOUR_MS;
  if (endMs - startMs > MAX_SUMMARY_DAYS * DAY_MS) {
    throw new AuditInputError(`summary window longer than ${MAX_SUMMARY_DAYS} days, the rollup retention`);
  }
  // Hours wholly inside [since, until); none when the window is shorter than its hours.
  const wholeStart = Math.ceil(sinceMs / HOUR_MS) * HOUR_MS;
  const wholeEnd = Math.max(wholeStart, floorTo(untilMs, HOUR_MS));
  const buckets = planBuckets(keys, wholeStart, wholeEnd);
  const ragged: Array<[number, number]> =
    wholeStart < wholeEnd
      ? [
          [sinceMs, wholeStart - 1],
          [wholeEnd, untilMs - 1],
        ]
      : [[sinceMs, untilMs - 1]];
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

  // The whole fleet: every bucket's counters as they are, in one MGET. One
  // host: only its record of each bucket, found through the bucket's index.
  const reply = replySchema.parse(
    buckets.length === 0
      ? []
      : host === undefined
        ? await redis.mgetBuffer(...buckets.map((b) => b.keys[0]))
        : await script.runBuffer(
            redis,
            buckets.flatMap((b) => b.keys),
            [host],
          ),
  );
  buckets.forEach((bucket, i) => {
    const day = perDay.get(bucket.day)!;
    const counters = reply[i] ?? Buffer.alloc(0);
    eachRecord(counters, (name, view, offset) => {
      // With a host filter its record stands for the whole window; without, '*' does.
      if (name === ALL_HOSTS_RECORD || host !== undefined) day.addRecord(view, offset);
      if (name !== ALL_HOSTS_RECORD) hostSum(name).addRecord(view, offset);
    });
  });
  const skew = Number((await redis.get(keys.skew)) ?? 0);
  for (const [from, to] of ragged) {
    if (from > to) continue;
    // Stream ids are never earlier than an entry's ts, and later by at most the recorded skew.
    for await (const stored of walkStream(redis, keys.stream, {
      start: String(from),
      end: String(to + skew),
      order: 'oldest',
    })) {
      const record = toRecord(stored);
      const ms = Date.parse(record.ts);
      if (ms < from || ms > to || (host !== undefined && record.host !== host)) continue;
      const deltas = rollupDeltas(record);
      perDay.get(record.ts.slice(0, 10))!.addDeltas(deltas);
      if (record.host !== undefined) hostSum(record.host).addDeltas(deltas);
    }
  }
  const total = new CounterSum();
  for (const day of perDay.values()) total.add(day);

  return {
    window: { since: filter.since.toISOString(), until: filter.until.toISOString() },
    host: host ?? null,
    ...total.counters(),
    per_host: Object.fromEntries(
      [...perHost.keys()].sort().map((name) => [name, perHost.get(name)!.counters()] as const),
    ),
    per_day: [...perDay].map(([day, sum]) => ({ day, ...sum.counters() })),
  };
}
