import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/index.js';
import { AuditKeys, DEFAULT_AUDIT_KEY } from '../../src/audit/keys.js';
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

describe('an event the audit cannot read', () => {
  it('is passed over, and the events after it are recorded', async () => {
    // As a bot of an older version would write it: a notice without the jobs it started.
    const redis = t.redis.client();
    const notice = { type: 'incident.opened', host: 'odd-1', incident_ids: ['inc-odd'], actions: ['disk_cleanup'] };
    await redis.xadd(keys.events, '*', 'type', notice.type, 'event', JSON.stringify(notice));
    await t.bot.request('/v1/metrics', { body: snapshot({ host: 'odd-2', disk_usage: 96 }) });
    const types = await eventually(async () => {
      const seen = await auditTypes('odd-2');
      return seen.length >= 3 ? seen : undefined;
    }, 15_000);
    expect(types).toEqual(['action.enqueued', 'decision', 'incident.opened']);
    expect(await auditTypes('odd-1')).toEqual([]);
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
});

describe('new incidents that cannot be acted on yet', () => {
  it('are healed once the host queue takes jobs again, once, from the event that opened them', async () => {
    // BullMQ numbers a queue's jobs from this counter: a string there makes every add fail.
    const counter = `bull:${queues.actions('cut-2')}:id`;
    const redis = t.redis.client();
    await redis.set(counter, 'not a number');
    await t.bot.request('/v1/metrics', { body: snapshot({ host: 'cut-2', disk_usage: 96 }) });
    const incident = await eventually(async () => {
      const { body } = await t.bot.request('/v1/hosts/cut-2');
      return (body as { incidents?: { id: string }[] }).incidents?.[0]?.id;
    });
    await eventually(async () => ((await auditTypes('cut-2')).includes('incident.opened') ? true : undefined));
    expect(await actionJobs(t.redis, 'cut-2')).toHaveLength(0);

    await redis.del(counter);
    const jobs = await eventually(async () => {
      const found = await actionJobs(t.redis, 'cut-2');
      return found.length > 0 ? found : undefined;
    }, 20_000);
    expect(jobs.map((j) => j.id)).toEqual([`${incident}.disk_cleanup`]);
    await eventually(async () => ((await auditTypes('cut-2')).includes('action.enqueued') ? true : undefined));
    expect(await auditTypes('cut-2')).toEqual(['action.enqueued', 'decision', 'incident.opened']);
    const notices = (await redis.xrange(keys.events, '-', '+')).filter(
      ([, f]) => f[1] === 'incident.opened' && f.join(' ').includes('"cut-2"'),
    );
    expect(notices).toHaveLength(1);
  });
});
