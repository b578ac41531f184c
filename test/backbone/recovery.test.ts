import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/index.js';
import { AuditKeys, DEFAULT_AUDIT_KEY } from '../../src/audit/keys.js';
import { readContext } from '../../src/pipeline/host-state.js';
import { changeIncidents, markAnnounced } from '../../src/pipeline/incidents.js';
import type { IngestJob } from '../../src/pipeline/ingest.js';
import { keys, queues } from '../../src/redis/keys.js';
import { snapshot } from '../helpers/core.js';
import { actionJobs, eventually, useBot } from '../helpers/bot.js';

const t = useBot();
const audit = new AuditKeys(DEFAULT_AUDIT_KEY);
let ingest: Queue;
beforeAll(() => {
  ingest = new Queue(queues.ingest, { connection: t.redis.client() });
});
afterAll(() => ingest.close());

interface HostBody {
  snapshot: { disk_usage: number };
  incidents: { status: string }[];
}

async function auditTypes(host: string): Promise<string[]> {
  const { body } = await t.bot.request(`/v1/audit?window=1h&host=${host}&limit=1000`);
  return (body as { entries: { type: string }[] }).entries.map((e) => e.type).sort();
}

/** The first ingest job for `host` that has failed at least once. */
function failedAttempt(host: string) {
  return eventually(async () => {
    const jobs = await ingest.getJobs(['delayed', 'waiting', 'active', 'completed', 'failed']);
    return jobs.find((j) => (j.data as IngestJob).snapshots[0]?.host === host && j.attemptsMade > 0);
  });
}

/** Puts a string where `key` was, so that every command of its type fails; returns how to put it back. */
async function breakKey(key: string): Promise<() => Promise<void>> {
  const redis = t.redis.client();
  await redis.rename(key, `${key}-aside`);
  await redis.set(key, 'not what it should be');
  return async () => {
    await redis.del(key);
    await redis.rename(`${key}-aside`, key);
  };
}

describe('an audit that refuses appends', () => {
  it('holds up no heal and loses no entry: what happened meanwhile is recorded once it takes appends again', async () => {
    // Something to audit first, so that the chain has a head to take away.
    await t.bot.request('/v1/metrics', { body: snapshot({ host: 'warm-1', disk_usage: 95 }) });
    await eventually(async () => ((await auditTypes('warm-1')).includes('incident.opened') ? true : undefined));

    // Without its head the audit refuses every append (and says so), until the head is back.
    const redis = t.redis.client();
    const head = (await redis.get(audit.head))!;
    await redis.del(audit.head);
    await t.bot.request('/v1/metrics', { body: snapshot({ host: 'cut-1', disk_usage: 96 }) });
    await eventually(async () => ((await actionJobs(t.redis, 'cut-1')).length > 0 ? true : undefined));
    expect(await auditTypes('cut-1')).toEqual([]);

    await redis.set(audit.head, head);
    const types = await eventually(async () => {
      const seen = await auditTypes('cut-1');
      return seen.length >= 3 ? seen : undefined;
    }, 15_000);
    expect(types).toEqual(['action.enqueued', 'decision', 'incident.opened']);
    expect(await actionJobs(t.redis, 'cut-1')).toHaveLength(1);
    expect(await new AuditLog(t.redis.client()).verify()).toMatchObject({ ok: true });

    // The next snapshot finds the condition handled: nothing more is said or done.
    await t.bot.request('/v1/metrics', { body: snapshot({ host: 'cut-1', disk_usage: 97 }) });
    await eventually(async () => {
      const r = (await t.bot.request('/v1/hosts/cut-1')).body as { snapshot: { disk_usage: number } };
      return r.snapshot.disk_usage === 97 ? true : undefined;
    });
    expect(await auditTypes('cut-1')).toEqual(types);
    expect(await actionJobs(t.redis, 'cut-1')).toHaveLength(1);
  });
});

describe('a batch cut short after it opened an incident', () => {
  it('retried after it healed and resolved an incident: the retry does not open it again', async () => {
    // A string where the decision counters live: the batch fails at its very end, after everything else.
    const restore = await breakKey(keys.stats);
    await t.bot.request('/v1/metrics', {
      body: [snapshot({ host: 'cut-4', disk_usage: 96 }), snapshot({ host: 'cut-4', disk_usage: 40 })],
    });
    expect((await failedAttempt('cut-4')).failedReason).toMatch(/WRONGTYPE/);
    await restore();

    await eventually(async () => {
      const jobs = await ingest.getJobs(['completed']);
      return jobs.some((j) => (j.data as IngestJob).snapshots[0]?.host === 'cut-4') ? true : undefined;
    }, 15_000);
    expect(await auditTypes('cut-4')).toEqual(['action.enqueued', 'decision', 'incident.opened', 'incident.resolved']);
    expect(await actionJobs(t.redis, 'cut-4')).toHaveLength(1);
    const host = (await t.bot.request('/v1/hosts/cut-4')).body as HostBody;
    expect(host.snapshot.disk_usage).toBe(40);
    expect(host.incidents).toEqual([]);
  });

  it('is announced by a later batch once its own has had time to finish and did not', async () => {
    const redis = t.redis.client();
    const breach = { signal: 'disk_usage', value: 99, threshold: 85, class: 'AUTO_HEAL' as const };
    const decide = async (arrival: number) => {
      const { takeover } = await readContext(redis, 'cut-2', Date.now(), arrival);
      const change = await changeIncidents(redis, 'cut-2', { open: [breach], takeover }, new Date(), {
        arrival,
        index: 0,
      });
      return change.opened[0]!;
    };

    const first = await decide(50);
    expect(first.isNew).toBe(true);
    // Its own retry takes it back; batch 51, while batch 50 may still be announcing it, leaves it alone.
    expect(await decide(50)).toEqual(first);
    expect(await decide(51)).toEqual({ ...first, isNew: false });
    // As if batch 50 had opened it 11 s ago: nobody finished it within the grace period, the next batch does.
    await redis.hset(keys.incident(first.id), 'opened_ms', Date.now() - 11_000);
    expect(await decide(52)).toEqual(first);
    await markAnnounced(redis, [first.id]);
    await redis.hset(keys.incident(first.id), 'opened_ms', Date.now() - 60_000);
    expect(await decide(53)).toEqual({ ...first, isNew: false });
  });
});
