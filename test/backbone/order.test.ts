import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../src/core/snapshot/schema.js';
import { readContext } from '../../src/pipeline/host-state.js';
import { changeIncidents, SupersededError } from '../../src/pipeline/incidents.js';
import { keys, queues } from '../../src/redis/keys.js';
import { snapshot } from '../helpers/core.js';
import { actionJobs, eventually, useBot } from '../helpers/bot.js';

const t = useBot();
let ingest: Queue;
beforeAll(() => {
  ingest = new Queue(queues.ingest, { connection: t.redis.client() });
});
afterAll(() => ingest.close());

interface HostBody {
  snapshot: Snapshot;
  history: number[][];
  incidents: { signal: string; status: string }[];
}

async function host(name: string): Promise<HostBody | undefined> {
  const r = await t.bot.request(`/v1/hosts/${name}`);
  return r.status === 200 ? (r.body as HostBody) : undefined;
}

/**
 * Sends `older` first and `newer` second, as an agent pushes them, but holds
 * the older one back so that it is decided last: what several workers and
 * replicas do to a host's consecutive batches now and then.
 */
async function decidedOutOfOrder(older: Snapshot, newer: Snapshot): Promise<void> {
  const late = await ingest.add('batch', { snapshots: [older], received_at: new Date().toISOString() }, { delay: 400 });
  await ingest.add('batch', { snapshots: [newer], received_at: new Date().toISOString() });
  await eventually(async () => ((await ingest.getJobState(late.id!)) === 'completed' ? true : undefined));
}

describe('a host whose snapshots are decided out of order', () => {
  it('keeps the newest as its state, puts the older in its place in the trend, and does not act on it', async () => {
    await decidedOutOfOrder(snapshot({ host: 'ooo-1', disk_usage: 97 }), snapshot({ host: 'ooo-1', disk_usage: 42 }));
    const body = (await host('ooo-1'))!;
    expect(body.snapshot.disk_usage).toBe(42);
    expect(body.history.map((p) => p[1])).toEqual([97, 42]);
    expect(body.incidents).toEqual([]);
    expect(await actionJobs(t.redis, 'ooo-1')).toHaveLength(0);
  });

  it('does not resolve an incident that a newer snapshot opened', async () => {
    await decidedOutOfOrder(snapshot({ host: 'ooo-2', disk_usage: 41 }), snapshot({ host: 'ooo-2', disk_usage: 96 }));
    const body = (await host('ooo-2'))!;
    expect(body.snapshot.disk_usage).toBe(96);
    expect(body.history.map((p) => p[1])).toEqual([41, 96]);
    expect(body.incidents).toMatchObject([{ signal: 'disk_usage', status: 'open' }]);
    expect(await actionJobs(t.redis, 'ooo-2')).toHaveLength(1);
  });

  it('refuses an incident change from a batch that a later one has overtaken, and changes nothing', async () => {
    const redis = t.redis.client();
    await readContext(redis, 'ooo-3', Date.now(), 1_000_000);
    const breach = { signal: 'disk_usage', value: 99, threshold: 85, class: 'AUTO_HEAL' as const };
    await expect(
      changeIncidents(redis, 'ooo-3', { open: [breach] }, new Date(), { arrival: 999_999, index: 0 }),
    ).rejects.toBeInstanceOf(SupersededError);
    expect(await redis.hgetall(keys.hostIncidents('ooo-3'))).toEqual({});
    expect((await readContext(redis, 'ooo-3', Date.now(), 999_998)).recordOnly).toBe(true);
    const opened = await changeIncidents(redis, 'ooo-3', { open: [breach] }, new Date(), {
      arrival: 1_000_000,
      index: 0,
    });
    expect(opened.opened).toMatchObject([{ signal: 'disk_usage', isNew: true }]);
  });
});
