import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SignedActionJob } from '../../src/actions/signing.js';
import { AuditLog } from '../../src/audit/index.js';
import { ReportWriter } from '../../src/reports/writer.js';
import { keys } from '../../src/redis/keys.js';
import { actionJobs, eventually, policyFile, startTestBot, type TestBot } from '../helpers/bot.js';
import { snapshot } from '../helpers/core.js';
import { spawnHealgate, type RunningProcess } from '../helpers/process.js';
import { freePort, startRedis, type TestRedis } from '../helpers/redis.js';

// A bot killed (SIGKILL) at a named step of an approval's life or of a breach's, then another one on
// the same Redis: the record, its expiry, its job, its audit entries and its events are all there,
// exactly once.
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

  it('after winning the decision: its event is written with it, so it is audited once and its job enqueued once', async () => {
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
    expect(await announced('approval.decided', id)).toBe(1);
    expect(await actionJobs(redis, 'crash-2')).toHaveLength(0);

    await eventually(async () => ((await actionJobs(redis, 'crash-2')).length > 0 ? true : undefined), 30_000, 'job');
    await eventually(async () => ((await audited('approval.approved', id)) > 0 ? true : undefined), 10_000, 'audit');
    expect(await audited('approval.approved', id)).toBe(1);
    expect(await announced('approval.decided', id)).toBe(1);
    expect((await actionJobs(redis, 'crash-2')).map((j) => j.id)).toEqual([id]);
  });
});

/** What the audit holds about `host`, by type, and how many of each. */
async function auditCounts(host: string): Promise<Record<string, number>> {
  const entries = (await redis.client().xrange('healgate:audit', '-', '+')) as [string, string[]][];
  const counts: Record<string, number> = {};
  for (const [, f] of entries) {
    const e = JSON.parse(f[f.indexOf('e') + 1]!) as { type: string; host?: string };
    if (e.host === host) counts[e.type] = (counts[e.type] ?? 0) + 1;
  }
  return counts;
}

async function eventCount(type: string, host: string): Promise<number> {
  const events = (await redis.client().xrange('healgate:events', '-', '+')) as [string, string[]][];
  return events.filter(([, f]) => f[f.indexOf('type') + 1] === type && f.join(' ').includes(`"host":"${host}"`)).length;
}

const healed = { 'action.enqueued': 1, decision: 1, 'incident.opened': 1 };

describe('a bot killed mid-way through deciding a breach', () => {
  // Alone with the crashing bot, so that it is the one deciding; the next bot starts after the kill.
  async function crashOnBreach(step: string, host: string): Promise<void> {
    await survivor?.close();
    survivor = undefined;
    const { url, proc } = await botThatCrashesAt(step);
    expect((await post(url, '/v1/metrics', snapshot({ host, disk_usage: 96 }))).status).toBe(202);
    expect(await proc.stop('SIGCONT')).toBeNull(); // it killed itself at the step
    survivor = await startTestBot(redis, { POLICY_FILE: policy });
  }

  it('after opening the incident: its decision is already recorded, and the next bot heals it once', async () => {
    await crashOnBreach('incident.opened', 'crash-3');
    expect(await eventCount('decision.recorded', 'crash-3')).toBe(1);
    expect(await actionJobs(redis, 'crash-3')).toHaveLength(0);

    // The batch the dead bot was deciding is taken over: the incident it opened is acted on, once.
    await eventually(async () => ((await eventCount('incident.opened', 'crash-3')) > 0 ? true : undefined), 40_000);
    await eventually(async () => ((await auditCounts('crash-3'))['action.enqueued'] ? true : undefined), 10_000);
    expect(await auditCounts('crash-3')).toEqual(healed);
    expect(await actionJobs(redis, 'crash-3')).toHaveLength(1);
    expect(await eventCount('decision.recorded', 'crash-3')).toBe(1);
    expect(await eventCount('incident.opened', 'crash-3')).toBe(1);
  });

  it('after enqueueing the heal: the next bot announces it once, and enqueues and audits nothing twice', async () => {
    await crashOnBreach('heal.enqueued', 'crash-4');
    expect(await actionJobs(redis, 'crash-4')).toHaveLength(1);
    expect(await eventCount('incident.opened', 'crash-4')).toBe(0);

    await eventually(async () => ((await eventCount('incident.opened', 'crash-4')) > 0 ? true : undefined), 40_000);
    await eventually(async () => ((await auditCounts('crash-4'))['action.enqueued'] ? true : undefined), 10_000);
    expect(await auditCounts('crash-4')).toEqual(healed);
    expect(await actionJobs(redis, 'crash-4')).toHaveLength(1);
    expect(await eventCount('incident.opened', 'crash-4')).toBe(1);
  });

  it('after appending audit entries, before acknowledging their events: the next bot appends none twice', async () => {
    await crashOnBreach('audit.recorded', 'crash-5');
    // The dead bot appended its entries; their events are still unacknowledged, and are read again.
    expect(await auditCounts('crash-5')).not.toEqual({});
    const pending = async () =>
      ((await redis.client().xpending('healgate:events', 'audit')) as [number, ...unknown[]])[0];
    expect(await pending()).toBeGreaterThan(0);
    await eventually(async () => ((await pending()) === 0 ? true : undefined), 40_000, 'the events taken over');
    await eventually(async () => ((await auditCounts('crash-5'))['action.enqueued'] ? true : undefined), 10_000);
    expect(await auditCounts('crash-5')).toEqual(healed);
    expect(await new AuditLog(redis.client()).verify()).toMatchObject({ ok: true });
  });

  it('after publishing an agent result, before freeing its slot: the next bot frees it and says nothing twice', async () => {
    await survivor?.close();
    survivor = undefined;
    const { url, proc } = await botThatCrashesAt('report.published');
    expect((await post(url, '/v1/metrics', snapshot({ host: 'crash-6', disk_usage: 96 }))).status).toBe(202);
    const [job] = await eventually(async () => {
      const jobs = await actionJobs(redis, 'crash-6');
      return jobs.length > 0 ? jobs : undefined;
    });
    const signed = job!.data as SignedActionJob;
    // What the host's agent reports once it has run the heal (in dry-run).
    const reports = new ReportWriter(redis.client(), 'crash-6');
    await reports.announce();
    await reports.action({
      job: signed,
      run: {
        job_id: signed.key,
        host: 'crash-6',
        trigger: 'auto_heal',
        approval_id: null,
        incident_ids: [...signed.incident_ids],
        outcome: 'dry_run',
        dry_run: true,
        actions: [{ id: 'disk_cleanup', outcome: 'dry_run', steps: [] }],
        reading: null,
        detail: 'dry-run: nothing was changed',
      },
      duration_ms: 5,
    });
    expect(await proc.stop('SIGCONT')).toBeNull(); // it killed itself at the step
    const healing = () => redis.client().zrange(keys.autoHealing, 0, -1);
    expect(await eventCount('action.result', 'crash-6')).toBe(1);
    expect((await healing()).filter((m) => m.startsWith('crash-6|'))).toHaveLength(1);

    survivor = await startTestBot(redis, { POLICY_FILE: policy });
    await eventually(
      async () => ((await healing()).some((m) => m.startsWith('crash-6|')) ? undefined : true),
      40_000,
      'the slot freed',
    );
    await eventually(async () => ((await auditCounts('crash-6'))['action.result'] ? true : undefined), 10_000);
    expect(await eventCount('action.result', 'crash-6')).toBe(1);
    expect(await auditCounts('crash-6')).toEqual({ ...healed, 'action.result': 1 });
  });
});
