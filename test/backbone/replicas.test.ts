import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshot } from '../helpers/core.js';
import { eventually } from '../helpers/bot.js';
import { spawnHealgate, type RunningProcess } from '../helpers/process.js';
import { freePort, startRedis, type TestRedis } from '../helpers/redis.js';

let redis: TestRedis;
const bots: { proc: RunningProcess; url: string }[] = [];

beforeAll(async () => {
  redis = await startRedis();
  for (let i = 0; i < 2; i++) {
    const port = await freePort();
    const proc = spawnHealgate(['bot'], { REDIS_URL: redis.botUrl, HTTP_PORT: String(port), LOG_LEVEL: 'warn' });
    bots.push({ proc, url: `http://127.0.0.1:${port}` });
  }
  for (const b of bots) {
    await eventually(
      async () => {
        const r = await fetch(`${b.url}/readyz`).catch(() => undefined);
        return r?.status === 200 ? true : undefined;
      },
      30_000,
      `bot ${b.url} ready\n${b.proc.output()}`,
    );
  }
}, 60_000);

afterAll(async () => {
  await Promise.all(bots.map((b) => b.proc.stop('SIGKILL')));
  await redis?.stop();
});

describe('two bot processes on one Redis', () => {
  it('decide every snapshot exactly once and heal each breach once', async () => {
    const hosts = Array.from({ length: 40 }, (_, i) => `node-${i}`);
    // Every host gets 10 snapshots, half through each replica; every 8th host breaches disk (5 hosts:
    // as many as the fleet breaker lets auto-heal at once).
    for (let round = 0; round < 10; round++) {
      const batch = hosts.map((host, i) => snapshot({ host, disk_usage: i % 8 === 0 ? 92 + round * 0.1 : 40 }));
      const r = await fetch(`${bots[round % 2]!.url}/v1/metrics`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(batch),
      });
      expect(r.status).toBe(202);
    }
    const client = redis.client();
    const stats = await eventually(
      async () => {
        const s = await client.hgetall('healgate:stats');
        const total = Object.values(s).reduce((a, b) => a + Number(b), 0);
        return total >= 400 ? s : undefined;
      },
      30_000,
      'all 400 decisions',
    );
    expect(stats).toEqual({ 'decisions:NO_ACTION': '350', 'decisions:AUTO_HEAL': '50' });

    for (const host of hosts.filter((_, i) => i % 8 === 0)) {
      const queue = new Queue(`healgate-actions-${host}`, { connection: client });
      expect((await queue.getJobCounts('waiting')).waiting).toBe(1);
      await queue.close();
    }
    // The audit records the events as they come: once each, whichever replica wrote them.
    const openedEntries = async () =>
      (await client.xrange('healgate:audit', '-', '+'))
        .map(([, fields]) => fields.join(' '))
        .filter((f) => f.includes('"incident.opened"'));
    await eventually(async () => ((await openedEntries()).length >= 5 ? true : undefined), 10_000, 'the audit');
    expect(await openedEntries()).toHaveLength(5);
  });

  it('drain and exit cleanly on SIGTERM', async () => {
    const codes = await Promise.all(bots.map((b) => b.proc.stop('SIGTERM')));
    expect(codes).toEqual([0, 0]);
    expect(bots[0]!.proc.output()).not.toContain('"level":50');
  });
});
