import { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import type { IngestJob } from '../../src/pipeline/ingest.js';
import { queues } from '../../src/redis/keys.js';
import { BOT_USER } from '../../src/security/acl.js';
import { snapshot } from '../helpers/core.js';
import { eventually, ingestDrained, useBot } from '../helpers/bot.js';

const t = useBot();

const change = (host: string, reason = 'open the health check port') => ({
  host,
  action: 'open',
  port: 8443,
  protocol: 'tcp',
  reason,
  requested_by: 'slack:UREQ',
});

async function post(body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal) {
  const response = await fetch(`${t.bot.url}/v1/requests/firewall`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function knownHost(host: string): Promise<void> {
  expect((await t.bot.request('/v1/metrics', { body: snapshot({ host }) })).status).toBe(202);
  await eventually(async () => ((await t.bot.request(`/v1/hosts/${host}`)).status === 200 ? true : undefined));
}

async function approvalsOf(host: string): Promise<string[]> {
  const { body } = await t.bot.request(`/v1/audit?window=1h&host=${host}&type=approval.requested`);
  return (body as { entries: { approval_id: string }[] }).entries.map((e) => e.approval_id);
}

/** Settles once the host's approvals stop changing and number `count`. */
async function approvalsSettle(host: string, count: number): Promise<string[]> {
  await ingestDrained(t.redis);
  return eventually(async () => {
    const ids = await approvalsOf(host);
    return ids.length === count ? ids : undefined;
  });
}

describe('POST /v1/requests/firewall retried', () => {
  it('with the same Idempotency-Key answers with the first request, and one approval is asked for', async () => {
    await knownHost('idem-1');
    const first = await post(change('idem-1'), { 'idempotency-key': 'b9b0c2a4-retry-1' });
    const again = await post(change('idem-1'), { 'idempotency-key': 'b9b0c2a4-retry-1' });
    expect(first).toMatchObject({ status: 202, body: { status: 'evaluating' } });
    expect(again).toMatchObject({ status: 202, body: { request_id: first.body.request_id, replayed: true } });
    expect(await approvalsSettle('idem-1', 1)).toHaveLength(1);

    // The same key for another change is a client's mistake, not a retry.
    const reused = await post(change('idem-1', 'another reason'), { 'idempotency-key': 'b9b0c2a4-retry-1' });
    expect(reused).toMatchObject({ status: 422, body: { request_id: first.body.request_id } });
    expect(await post(change('idem-1'), { 'idempotency-key': 'has spaces' })).toMatchObject({ status: 400 });
    expect(await approvalsSettle('idem-1', 1)).toHaveLength(1);
  });

  it('without a key is recognised by its content; another change is another request', async () => {
    await knownHost('idem-2');
    const first = await post(change('idem-2'));
    expect(await post(change('idem-2'))).toMatchObject({ status: 202, body: { request_id: first.body.request_id } });
    expect(await approvalsSettle('idem-2', 1)).toHaveLength(1);
    const other = await post(change('idem-2', 'a different change'));
    expect(other.body.request_id).not.toBe(first.body.request_id);
    expect(await approvalsSettle('idem-2', 2)).toHaveLength(2);
  });

  it('after the client gave up waiting (Redis slow for a moment) yields one approval', async () => {
    await knownHost('idem-3');
    t.redis.freeze();
    try {
      await expect(post(change('idem-3'), {}, AbortSignal.timeout(300))).rejects.toThrow();
    } finally {
      t.redis.thaw();
    }
    // Redis took the first one within its deadline: the retry finds it.
    expect(await post(change('idem-3'))).toMatchObject({ status: 202 });
    expect(await approvalsSettle('idem-3', 1)).toHaveLength(1);
  });
});

describe('a firewall request whose approval cannot be created yet', () => {
  it('is not dropped: it stays pending and becomes an approval once Redis takes it', async () => {
    await knownHost('fw-retained');
    const admin = t.redis.client();
    // Denies the bot's user the write that creates an approval record, and nothing else the pipeline needs.
    await admin.call('ACL', 'SETUSER', BOT_USER, '-hsetnx');
    try {
      expect(await post(change('fw-retained'))).toMatchObject({ status: 202, body: { status: 'evaluating' } });
      const queue = new Queue(queues.ingest, { connection: t.redis.client() });
      // The evaluation was tried: its batch has failed once (or, had it swallowed the failure, completed).
      await eventually(
        async () => {
          const jobs = await queue.getJobs(['delayed', 'failed', 'completed']);
          const tried = jobs.filter((j) => (j.data as IngestJob).snapshots[0]?.host === 'fw-retained');
          return tried.some((j) => j.attemptsMade > 0 || j.finishedOn !== undefined) ? true : undefined;
        },
        15_000,
        'the evaluation to be tried while approvals cannot be created',
      );
      await queue.close();
      expect(await approvalsOf('fw-retained')).toEqual([]);
    } finally {
      await admin.call('ACL', 'SETUSER', BOT_USER, '+hsetnx');
    }
    // The host's next report (or the batch's retry) asks again.
    expect((await t.bot.request('/v1/metrics', { body: snapshot({ host: 'fw-retained' }) })).status).toBe(202);
    expect(await approvalsSettle('fw-retained', 1)).toHaveLength(1);
  });
});
