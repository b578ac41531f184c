import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { signerFor } from '../../src/actions/signing.js';
import { ActionQueues, type ActionJob } from '../../src/actions/queues.js';
import { autoHealingMember, keys } from '../../src/redis/keys.js';
import { files, fillScratch, sandbox, spawnAgent, type Sandbox } from '../helpers/agent.js';
import { eventually, startTestBot, type TestBot } from '../helpers/bot.js';
import { runCli } from '../helpers/cli.js';
import { snapshot } from '../helpers/core.js';
import { startDns, type TestDns } from '../helpers/dns.js';
import { actionResults, allEvents, resultOf } from '../helpers/events.js';
import type { RunningProcess } from '../helpers/process.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

let server: TestRedis;
let redis: Redis;
let dns: TestDns;
let box: Sandbox;
let bot: TestBot;
let queues: ActionQueues;
const agents: RunningProcess[] = [];
const live = {} as Record<'a' | 'dry' | 'k', RunningProcess>;
/** Processes the sandbox's restart_service started for the test. */
const services: number[] = [];

beforeAll(async () => {
  [server, dns] = await Promise.all([startRedis(), startDns()]);
  redis = server.client();
  box = await sandbox(dns.port);
  bot = await startTestBot(server, { POLICY_FILE: box.policyFile, EXECUTION_MODE: 'live' });
  queues = new ActionQueues(server.client(), redis, signerFor({}).signer);
  // Agents start in parallel: each is a process that compiles healgate on start.
  [live.a, live.dry, live.k] = await Promise.all([
    agent('e2e-a'),
    agent('e2e-dry', { EXECUTION_MODE: 'dry-run' }),
    agent('e2e-k'),
  ]);
});

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop('SIGKILL')));
  for (const pid of services) process.kill(pid, 'SIGTERM');
  await queues?.close();
  await bot?.close();
  await dns?.close();
  await server?.stop();
});

/** A live agent that has sent its first snapshot (so what follows is caused by the test). */
async function agent(host: string, env: Record<string, string> = {}): Promise<RunningProcess> {
  const started = Date.now();
  const proc = await spawnAgent(server, host, box.policyFile, env);
  agents.push(proc);
  await eventually(
    async () => (Number(await redis.hget(keys.host(host), 'updated_at')) > started ? true : undefined),
    30_000,
    `the first snapshot of ${host}\n${proc.output()}`,
  );
  return proc;
}

let seq = 0;
function job(host: string, action: string, params: ActionJob['actions'][number]['params']): ActionJob {
  return {
    key: `test-${++seq}.${action}`,
    host,
    trigger: 'approval',
    approval_id: null,
    incident_ids: [],
    actions: [{ id: action, params }],
    enqueued_at: new Date().toISOString(),
  };
}

async function runDir(name: string): Promise<string> {
  const dir = join(box.runs, name);
  await mkdir(dir);
  return dir;
}

describe('a real agent with the sandbox policy', () => {
  it('cleans the sandbox when disk breaches, verifies the drop and the incident resolves', async () => {
    await fillScratch(box.scratch, 3, 2);
    const posted = await bot.request('/v1/metrics', {
      body: snapshot({ host: 'e2e-a', disk_usage: 95, dns_latency_ms: 5 }),
    });
    expect(posted.status).toBe(202);
    const incident = await eventually(
      async () => (await redis.hget(keys.hostIncidents('e2e-a'), 'disk_usage')) ?? undefined,
    );

    const result = await eventually(() => resultOf(redis, `${incident}.disk_cleanup`), 30_000, 'the cleanup result');
    expect(result).toMatchObject({
      host: 'e2e-a',
      trigger: 'auto_heal',
      outcome: 'success',
      dry_run: false,
      verify: { signal: 'disk_usage', before: 95, threshold: 85, recovered: true },
    });
    expect(result.verify!.after).toBeLessThan(85);
    expect(result.actions[0]!.steps[0]).toMatchObject({
      argv: ['find', box.scratch, '-xdev', '-type', 'f', '-mtime', '+7', '-delete'],
      exit_code: 0,
      timed_out: false,
    });
    expect(result.detail).toMatch(/^disk_usage 95 → [\d.]+: recovered\.$/);
    // The real effect: week-old files gone, fresh ones kept.
    expect(await files(box.scratch)).toEqual(['new-0.log', 'new-1.log']);

    const resolved = await eventually(async () =>
      (await allEvents(redis)).find((e) => e.type === 'incident.resolved' && e.incident_id === incident),
    );
    expect(resolved).toMatchObject({ host: 'e2e-a', signal: 'disk_usage' });
    type ResultPage = {
      entries: { trigger: string; outcome: string; action: string; incident_id: string }[];
      summary: { auto_heal: { success: number } };
    };
    const audit = await eventually(async () => {
      const page = (await bot.request(`/v1/audit?window=1h&host=e2e-a&type=action.result`)).body as ResultPage;
      return page.entries.length > 0 ? page : undefined;
    });
    expect(audit.entries).toContainEqual(
      expect.objectContaining({
        trigger: 'auto_heal',
        outcome: 'success',
        action: 'disk_cleanup',
        incident_id: incident,
      }),
    );
    expect(audit.summary.auto_heal.success).toBeGreaterThanOrEqual(1);
    // The cleanup no longer counts as in flight fleet-wide (a restart that this
    // busy machine's real CPU may have caused is a job of its own).
    const member = autoHealingMember('e2e-a', `${incident}.disk_cleanup`);
    await eventually(async () => ((await redis.zscore(keys.autoHealing, member)) === null ? true : undefined));
  });

  it('restarts the service a CPU breach points at: a process the test started', async () => {
    const service = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e9)'], { stdio: 'ignore' });
    const stopped = new Promise<string | null>((r) => service.once('exit', (_, signal) => r(signal)));
    await writeFile(box.pidfile, String(service.pid));
    // This machine may be busy: a CPU incident from the agent's own first snapshot is closed first.
    await bot.request('/v1/metrics', { body: snapshot({ host: 'e2e-a', dns_latency_ms: 5 }) });
    await eventually(async () => ((await redis.hget(keys.hostIncidents('e2e-a'), 'cpu_usage')) ? undefined : true));
    await new Promise((r) => setTimeout(r, 1100)); // and the sandbox's 1s cooldown of any restart it caused
    await bot.request('/v1/metrics', { body: snapshot({ host: 'e2e-a', cpu_usage: 97, dns_latency_ms: 5 }) });
    const incident = await eventually(
      async () => (await redis.hget(keys.hostIncidents('e2e-a'), 'cpu_usage')) ?? undefined,
    );

    const result = await eventually(() => resultOf(redis, `${incident}.restart_service`), 20_000);
    expect(result).toMatchObject({ outcome: 'success', detail: 'restart_service ran successfully.' });
    expect(await stopped).toBe('SIGTERM');
    const restarted = Number(await readFile(box.pidfile, 'utf8'));
    services.push(restarted);
    // Agents started later may see this busy machine's real CPU: with no pid file their restarts do nothing.
    await rm(box.pidfile);
    expect(restarted).not.toBe(service.pid);
    expect(() => process.kill(restarted, 0)).not.toThrow();
    expect(result.actions[0]!.steps[0]).toMatchObject({
      argv: [process.execPath, expect.stringMatching(/test\/fixtures\/restart-service\.mjs$/), box.pidfile],
      exit_code: 0,
      // The service may have been restarted once already by a CPU incident of this busy machine's own.
      output: expect.stringMatching(new RegExp(`^restarted: \\d+ → ${restarted}$`)) as unknown,
    });
  });

  it('runs an action job delivered twice once, and answers the replay with the earlier result', async () => {
    const dir = await runDir('twice');
    const j = job('e2e-a', 'slow_marker', { run_dir: dir, seconds: 0 });
    await queues.enqueue(j);
    const first = await eventually(() => resultOf(redis, j.key), 20_000);
    expect(first.outcome).toBe('success');
    // A replay: the finished job is gone from the queue and the same key arrives again.
    await queues.queue('e2e-a').remove(j.key);
    await queues.enqueue(j);
    const replay = await eventually(async () => {
      const again = await queues.queue('e2e-a').getJob(j.key);
      return again?.finishedOn ? again : undefined;
    }, 20_000);
    expect(replay.returnvalue).toMatchObject({ job_id: j.key, outcome: 'success' });
    expect(await files(dir)).toHaveLength(1);
    expect(await actionResults(redis, j.key)).toHaveLength(1);
  });

  it('refuses injection attempts in parameters before running anything', async () => {
    await fillScratch(box.scratch, 2, 0);
    const before = await files(box.scratch);
    const attempts = [
      { scratch_dirs: ['/tmp; rm -rf /'] },
      { scratch_dirs: ['$(touch /tmp/healgate-pwned)'] },
      { scratch_dirs: [`${box.scratch}\n/etc`] },
      { scratch_dirs: ['-delete'] },
      { older_than_days: '7; rm -rf /' },
    ];
    const jobs = attempts.map((params) => job('e2e-a', 'disk_cleanup', params));
    for (const j of jobs) await queues.enqueue(j);
    for (const j of jobs) {
      const result = await eventually(() => resultOf(redis, j.key), 20_000);
      expect(result.outcome).toBe('failure');
      expect(result.detail).toMatch(/^Refused before running anything: disk_cleanup: /);
      expect(result.actions).toEqual([{ id: 'disk_cleanup', outcome: 'failure', steps: [] }]);
    }
    expect(await files(box.scratch)).toEqual(before);
  });

  it('in dry-run reports the exact argv and runs nothing', async () => {
    await fillScratch(box.scratch, 2, 0);
    const before = await files(box.scratch);
    const j = job('e2e-dry', 'disk_cleanup', {});
    await queues.enqueue(j);
    const result = await eventually(() => resultOf(redis, j.key), 20_000);
    expect(result).toMatchObject({
      outcome: 'dry_run',
      dry_run: true,
      verify: null,
      detail: 'Dry run: would run 1 command; nothing was run.',
      actions: [
        {
          id: 'disk_cleanup',
          outcome: 'dry_run',
          steps: [{ argv: ['find', box.scratch, '-xdev', '-type', 'f', '-mtime', '+7', '-delete'], exit_code: null }],
        },
      ],
    });
    expect(await files(box.scratch)).toEqual(before);
  });

  it("runs each host's actions only on that host's agent", async () => {
    const [dirA, dirB] = await Promise.all([runDir('host-a'), runDir('host-b')]);
    const forB = job('e2e-b', 'slow_marker', { run_dir: dirB, seconds: 0 });
    const forA = job('e2e-a', 'slow_marker', { run_dir: dirA, seconds: 0 });
    await queues.enqueue(forB);
    await queues.enqueue(forA);
    expect(await eventually(() => resultOf(redis, forA.key), 20_000)).toMatchObject({
      host: 'e2e-a',
      outcome: 'success',
    });
    // e2e-a's agent, and e2e-dry's, left e2e-b's job alone.
    expect(await queues.queue('e2e-b').getJobState(forB.key)).toBe('waiting');
    expect(await files(dirB)).toEqual([]);

    await agent('e2e-b');
    expect(await eventually(() => resultOf(redis, forB.key), 20_000)).toMatchObject({
      host: 'e2e-b',
      outcome: 'success',
    });
    expect(await files(dirA)).toHaveLength(1);
    expect(await files(dirB)).toHaveLength(1);
  });

  it('reports an action cut short by the death of its agent as unknown and never runs it again', async () => {
    const dir = await runDir('killed');
    const j = job('e2e-k', 'slow_marker', { run_dir: dir, seconds: 8 });
    await queues.enqueue(j);
    await eventually(async () => ((await files(dir)).length === 1 ? true : undefined), 20_000, 'the slow run to start');
    await live.k.stop('SIGKILL');

    await agent('e2e-k');
    const result = await eventually(() => resultOf(redis, j.key), 30_000, 'the unknown outcome');
    expect(result.outcome).toBe('unknown');
    expect(result.detail).toMatch(/^The agent stopped while slow_marker was running .*it was not run again/);
    // BullMQ redelivers the stalled job once its lock lapses: the new agent answers it without running it.
    await eventually(
      async () => ((await queues.queue('e2e-k').getJob(j.key))?.finishedOn ? true : undefined),
      40_000,
      'the redelivered job to finish',
    );
    expect(await files(dir)).toHaveLength(1);
    expect(await actionResults(redis, j.key)).toHaveLength(1);
    const outcomes = await eventually(async () => {
      const page = (await bot.request(`/v1/audit?window=1h&host=e2e-k&type=action.result`)).body as {
        entries: { outcome: string }[];
      };
      return page.entries.length > 0 ? page.entries.map((e) => e.outcome) : undefined;
    });
    expect(outcomes).toContain('unknown');
  });
});

describe('/diagnose', () => {
  it('measures afresh through a live agent, from chat and from the CLI', async () => {
    const reply = await bot.chat.command('diagnose', 'e2e-a');
    expect(reply).toMatchObject({ kind: 'diagnose', diagnosis: { host: 'e2e-a', fresh: true, note: null } });
    const env = { REDIS_URL: server.botUrl, POLICY_FILE: box.policyFile, LOG_LEVEL: 'silent' };
    const [cli, unknown] = await Promise.all([
      runCli(['diagnose', 'e2e-a'], { env }),
      runCli(['diagnose', 'never-seen'], { env }),
    ]);
    expect(cli.code).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({ host: 'e2e-a', fresh: true, snapshot: { host: 'e2e-a' } });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No snapshot of never-seen has ever arrived.');
  });

  it('answers at once from the last snapshot when the host has no live agent', async () => {
    await bot.request('/v1/metrics', { body: snapshot({ host: 'no-agent' }) });
    await bot.request('/v1/metrics', { body: snapshot({ host: 'went-silent' }) });
    await eventually(async () => ((await redis.zscore(keys.hosts, 'went-silent')) ? true : undefined));
    await redis.hset(keys.agent('went-silent'), { last_seen: String(Date.now() - 600_000), interval_ms: '15000' });

    const none = await bot.chat.command('diagnose', 'no-agent');
    expect(none).toMatchObject({ kind: 'diagnose', diagnosis: { fresh: false } });
    if (none.kind !== 'diagnose') throw new Error('expected a diagnosis');
    expect(none.diagnosis.note).toMatch(/^No agent runs on no-agent: this is its last snapshot, \d+s old\.$/);
    const silent = await bot.chat.command('diagnose', 'went-silent');
    if (silent.kind !== 'diagnose') throw new Error('expected a diagnosis');
    expect(silent.diagnosis.note).toMatch(/^The agent on went-silent is silent \(last heartbeat 10m ago\)/);
    // No request was left for an agent that is not there.
    expect(await redis.exists('bull:healgate-diagnose-no-agent:meta')).toBe(0);
  });
});
