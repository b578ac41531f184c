import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditKeys, DEFAULT_AUDIT_KEY } from '../../src/audit/keys.js';
import { changeIncidents, markAnnounced } from '../../src/pipeline/incidents.js';
import type { IngestJob } from '../../src/pipeline/ingest.js';
import { queues } from '../../src/redis/keys.js';
import { snapshot } from '../helpers/core.js';
import { actionJobs, eventually, useBot } from '../helpers/bot.js';

const t = useBot();
const audit = new AuditKeys(DEFAULT_AUDIT_KEY);
let ingest: Queue;
beforeAll(() => {
  ingest = new Queue(queues.ingest, { connection: t.redis.client() });
});
afterAll(() => ingest.close());

async function auditTypes(host: string): Promise<string[]> {
  const { body } = await t.bot.request(`/v1/audit?window=1h&host=${host}&limit=1000`);
  return (body as { entries: { type: string }[] }).entries.map((e) => e.type).sort();
}

describe('a batch cut short after it opened an incident', () => {
  it('is decided again, and the incident is announced and healed once', async () => {
    // Something to audit first, so that the chain has a head to take away.
    await t.bot.request('/v1/metrics', { body: snapshot({ host: 'warm-1', disk_usage: 95 }) });
    await eventually(async () => ((await auditTypes('warm-1')).includes('incident.opened') ? true : undefined));

    // Without its head the audit refuses every append: the batch fails right after opening the incident.
    const redis = t.redis.client();
    const head = (await redis.get(audit.head))!;
    await redis.del(audit.head);
    await t.bot.request('/v1/metrics', { body: snapshot({ host: 'cut-1', disk_usage: 96 }) });
    const failed = await eventually(async () => {
      const jobs = await ingest.getJobs(['delayed', 'waiting', 'active', 'completed', 'failed']);
      return jobs.find((j) => (j.data as IngestJob).snapshots[0]?.host === 'cut-1' && j.attemptsMade > 0);
    });
    expect(failed.failedReason).toMatch(/refusing to append: .*:head is missing/);
    expect(await actionJobs(t.redis, 'cut-1')).toHaveLength(0);

    await redis.set(audit.head, head);
    const types = await eventually(async () => {
      const seen = await auditTypes('cut-1');
      return seen.includes('action.enqueued') ? seen : undefined;
    }, 15_000);
    expect(types).toEqual(['action.enqueued', 'decision', 'incident.opened']);
    expect(await actionJobs(t.redis, 'cut-1')).toHaveLength(1);
    const host = (await t.bot.request('/v1/hosts/cut-1')).body as { incidents: { status: string }[] };
    expect(host.incidents).toMatchObject([{ status: 'open' }]);

    // The next snapshot finds the condition announced: nothing more is said or done.
    await t.bot.request('/v1/metrics', { body: snapshot({ host: 'cut-1', disk_usage: 97 }) });
    await eventually(async () => {
      const r = (await t.bot.request('/v1/hosts/cut-1')).body as { snapshot: { disk_usage: number } };
      return r.snapshot.disk_usage === 97 ? true : undefined;
    });
    expect(await auditTypes('cut-1')).toEqual(types);
    expect(await actionJobs(t.redis, 'cut-1')).toHaveLength(1);
  });

  it('is announced by a later batch once its own has had time to finish and did not', async () => {
    const redis = t.redis.client();
    const breach = { signal: 'disk_usage', value: 99, threshold: 85, class: 'AUTO_HEAL' as const };
    const at = (s: number) => new Date(Date.UTC(2026, 11, 2, 12, 0, s));
    const open = (arrival: number, s: number) =>
      changeIncidents(redis, 'cut-2', { open: [breach] }, at(s), arrival).then((c) => c.opened[0]!);

    const first = await open(50, 0);
    expect(first.isNew).toBe(true);
    // Batch 50 may still be announcing it: batch 51 leaves it alone, batch 50's own retry takes it back.
    expect(await open(51, 5)).toEqual({ ...first, isNew: false });
    expect(await open(50, 6)).toEqual(first);
    // Nobody finished it within the grace period: the next batch announces it.
    expect(await open(52, 17)).toEqual(first);
    await markAnnounced(redis, [first.id]);
    expect(await open(53, 60)).toEqual({ ...first, isNew: false });
  });
});
