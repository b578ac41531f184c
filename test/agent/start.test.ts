import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signerFor } from '../../src/actions/signing.js';
import { ActionQueues } from '../../src/actions/queues.js';
import { keys } from '../../src/redis/keys.js';
import { files, sandbox, type Sandbox } from '../helpers/agent.js';
import { eventually } from '../helpers/bot.js';
import { startDns, type TestDns } from '../helpers/dns.js';
import { resultOf } from '../helpers/events.js';
import { spawnHealgate, type RunningProcess } from '../helpers/process.js';
import { freePort, startRedis, type TestRedis } from '../helpers/redis.js';

let server: TestRedis;
let dns: TestDns;
let box: Sandbox;
let start: RunningProcess | undefined;

beforeAll(async () => {
  [server, dns] = await Promise.all([startRedis(), startDns()]);
  box = await sandbox(dns.port);
});
afterAll(async () => {
  await start?.stop('SIGKILL');
  await dns?.close();
  await server?.stop();
});

describe('healgate start', () => {
  it('runs the bot and a local agent in one process, and SIGTERM lets a running action finish', async () => {
    const port = await freePort();
    start = spawnHealgate(['start'], {
      REDIS_URL: server.botUrl,
      HTTP_PORT: String(port),
      HOST_ID: 'start-1',
      POLICY_FILE: box.policyFile,
      POLL_INTERVAL: '1h',
      EXECUTION_MODE: 'live',
      LOG_LEVEL: 'warn',
    });
    const redis = server.client();
    // The local agent's first snapshot went through the bot's pipeline.
    const host = await eventually(
      async () => {
        const r = await fetch(`http://127.0.0.1:${port}/v1/hosts/start-1`).catch(() => undefined);
        return r?.status === 200 ? ((await r.json()) as { snapshot: { host: string } }) : undefined;
      },
      30_000,
      'the local snapshot',
    );
    expect(host.snapshot.host).toBe('start-1');
    expect(await redis.hget(keys.agent('start-1'), 'interval_ms')).toBe('3600000');

    const dir = join(box.runs, 'start');
    await mkdir(dir);
    const queues = new ActionQueues(server.client(), redis, signerFor({}).signer);
    const marker = (key: string, seconds: number) =>
      queues.enqueue({
        key,
        host: 'start-1',
        trigger: 'approval',
        approval_id: null,
        incident_ids: [],
        actions: [{ id: 'slow_marker', params: { run_dir: dir, seconds } }],
        enqueued_at: new Date().toISOString(),
      });
    // The agent's run times show up in the bot's /metrics.
    await marker('start-quick.slow_marker', 0);
    await eventually(() => resultOf(redis, 'start-quick.slow_marker'), 20_000);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toContain('healgate_action_duration_seconds_count{action="slow_marker",outcome="success"} 1');

    const key = 'start-slow.slow_marker';
    await marker(key, 2);
    await eventually(async () => ((await files(dir)).length === 2 ? true : undefined), 20_000, 'the action to start');
    expect(await start.stop('SIGTERM')).toBe(0);
    // Drained: the action ran to its end and was reported before the process left.
    expect(await resultOf(redis, key)).toMatchObject({ outcome: 'success', host: 'start-1' });
    await queues.close();
  });
});
