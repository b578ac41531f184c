import { describe, expect, it } from 'vitest';
import { dayHistory } from '../../adapters/console/hosts.js';
import { decide } from '../../src/core/decide/decide.js';
import { EMPTY_CONTEXT } from '../../src/core/decide/types.js';
import { readHistory } from '../../src/pipeline/host-read.js';
import { DAY_BUCKETS, DAY_BUCKET_MS, HISTORY_LENGTH, StateWrites } from '../../src/pipeline/host-state.js';
import { shipped, snapshot } from '../helpers/core.js';
import { useRedis } from '../helpers/use-redis.js';

const ctx = useRedis();
const HOUR = 3_600_000;

describe('host state: the day trend beside the recent one', () => {
  it('keeps one point per bucket over more than the last 24 hours, the latest of each, while the recent trend stays short', async () => {
    const { classifier, policy } = await shipped();
    const host = 'day-1';
    const start = Math.floor(Date.UTC(2026, 11, 3, 0, 0) / DAY_BUCKET_MS) * DAY_BUCKET_MS;
    // 30 hours of a snapshot a minute.
    const minutes = 30 * 60;
    for (let i = 0; i < minutes; i += 15) {
      const writes = new StateWrites(i + 1);
      for (let j = i; j < i + 15; j++) {
        const s = snapshot({ host, disk_usage: j % 90 });
        writes.add(s, decide(s, classifier, policy, EMPTY_CONTEXT), start + j * 60_000);
      }
      await writes.flush(ctx.redis);
    }
    const day = await dayHistory(ctx.redis, host);
    expect(day.length).toBeLessThanOrEqual(DAY_BUCKETS);
    const span = day.at(-1)![0] - day[0]![0];
    expect(span).toBeGreaterThanOrEqual(24 * HOUR);
    expect(span).toBeLessThan(26 * HOUR);
    // Oldest first, one per bucket.
    const buckets = day.map((p) => Math.floor(p[0] / DAY_BUCKET_MS));
    expect(new Set(buckets).size).toBe(day.length);
    expect([...buckets].sort((a, b) => a - b)).toEqual(buckets);
    // Each batch's latest snapshot is its bucket's point: the last one is the host's latest.
    expect(day.at(-1)).toEqual(expect.arrayContaining([start + (minutes - 1) * 60_000, (minutes - 1) % 90]));
    expect(await readHistory(ctx.redis, host)).toHaveLength(HISTORY_LENGTH);
  });
});
