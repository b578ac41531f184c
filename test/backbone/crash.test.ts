import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../src/redis/keys.js';
import { actionJobs, eventually, policyFile, startTestBot, type TestBot } from '../helpers/bot.js';
import { snapshot } from '../helpers/core.js';
import { spawnHealgate, type RunningProcess } from '../helpers/process.js';
import { freePort, startRedis, type TestRedis } from '../helpers/redis.js';

// A bot killed (SIGKILL) at a named step of an approval's life, then another one on the same Redis:
// the record, its expiry, its audit entry and its event are all there, exactly once.
let redis: TestRedis;
let policy: string;
let survivor: TestBot | undefined;
const crashed: RunningProcess[] = [];

beforeAll(async () => {
  redis = await startRedis();
  // Requests expire after 20s here, so the first case can watch its expiry and the second decide in time.
  policy = await policyFile((y) => y.replace('timeout: 30m', 'timeout: 20s'));
});
afterAll(async () => {
  await Promise.all(crashed.map((p) => p.stop('SIGKILL')));
  await survivor?.close();
  await redis?.stop();
});

async function botThatCrashesAt(step: string): Promise<{ url: string; proc: RunningProcess }> {
  const port = await freePort();
  const proc = spawnHealgate(['bot'], {
    REDIS_URL: redis.botUrl,
    HTTP_PORT: String(port),
    LOG_LEVEL: 'warn',
    POLICY_FILE: policy,
    HEALGATE_TEST_CRASH_AT: step,
  });
  crashed.push(proc);
  const url = `http://127.0.0.1:${port}`;
  await eventually(
    async () => ((await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200 ? true : undefined),
    30_000,
    `the bot\n${proc.output()}`,
  );
  return { url, proc };
}

async function post(url: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

async function audited(type: string, approvalId: string): Promise<number> {
  const entries = (await redis.client().xrange('healgate:audit', '-', '+')) as [string, string[]][];
  return entries
    .map(([, f]) => JSON.parse(f[f.indexOf('e') + 1]!) as { type: string; approval_id?: string })
    .filter((e) => e.type === type && e.approval_id === approvalId).length;
}

async function announced(type: string, approvalId: string): Promise<number> {
  const events = (await redis.client().xrange('healgate:events', '-', '+')) as [string, string[]][];
  return events.filter(([, f]) => f[f.indexOf('type') + 1] === type && f.join(' ').includes(approvalId)).length;
}

const firewall = (host: string) => ({
  host,
  action: 'open',
  port: 8443,
  protocol: 'tcp',
  reason: 'crash test',
  requested_by: 'slack:UREQUESTER',
});

describe('a bot killed mid-way through an approval', () => {
  it('after creating the record: the next bot audits it, and it still expires, each once', async () => {
    const { url, proc } = await botThatCrashesAt('approval.created');
    expect((await post(url, '/v1/metrics', snapshot({ host: 'crash-1' }))).status).toBe(202);
    await eventually(async () => ((await redis.client().zscore(keys.hosts, 'crash-1')) ? true : undefined));
    expect((await post(url, '/v1/requests/firewall', firewall('crash-1'))).status).toBe(202);
    expect(await proc.stop('SIGCONT')).toBeNull(); // it killed itself at the step
    const [id] = await redis.client().zrange(keys.approvalsPending, 0, -1);
    expect(id).toMatch(/^apr-/);
    expect(await audited('approval.requested', id!)).toBe(0);

    survivor = await startTestBot(redis, { POLICY_FILE: policy });
    // The batch the dead bot was deciding is taken over, and asks again: the request is found and finished.
    await eventually(async () => ((await audited('approval.requested', id!)) > 0 ? true : undefined), 40_000, 'audit');
    await eventually(
      async () => ((await survivor!.approvals.get(id!))?.status === 'expired' ? true : undefined),
      40_000,
      'the expiry',
    );
    await eventually(async () => ((await audited('approval.expired', id!)) > 0 ? true : undefined), 10_000);
    expect(await audited('approval.requested', id!)).toBe(1);
    expect(await audited('approval.expired', id!)).toBe(1);
    expect(await announced('approval.requested', id!)).toBe(1);
    expect(await announced('approval.decided', id!)).toBe(1);
  });

  it('after winning the decision: the next bot audits it before the job, and the job is enqueued once', async () => {
    const { url, proc } = await botThatCrashesAt('approval.decided');
    expect((await post(url, '/v1/metrics', snapshot({ host: 'crash-2' }))).status).toBe(202);
    await eventually(async () => ((await redis.client().zscore(keys.hosts, 'crash-2')) ? true : undefined));
    expect((await post(url, '/v1/requests/firewall', firewall('crash-2'))).status).toBe(202);
    const id = await eventually(async () => {
      const ids = await redis.client().zrange(keys.approvalsPending, 0, -1);
      const records = await survivor!.approvals.getMany(ids);
      return records.find((r) => r?.host === 'crash-2')?.id;
    });
    // The console of the crashing bot takes the click (the local operator may approve) and dies after the decision.
    await post(url, `/console/api/approvals/${id}/approve`, { notes: 'go' }, { 'x-healgate-console': '1' }).catch(
      () => undefined,
    );
    expect(await proc.stop('SIGCONT')).toBeNull();
    expect((await survivor!.approvals.get(id))?.status).toBe('approved');
    expect(await audited('approval.approved', id)).toBe(0);

    await eventually(async () => ((await actionJobs(redis, 'crash-2')).length > 0 ? true : undefined), 30_000, 'job');
    expect(await audited('approval.approved', id)).toBe(1);
    expect(await announced('approval.decided', id)).toBe(1);
    expect((await actionJobs(redis, 'crash-2')).map((j) => j.id)).toEqual([id]);
  });
});
