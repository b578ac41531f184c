import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DECISION_WORKER_LOCK } from '../../src/pipeline/worker.js';
import { queues } from '../../src/redis/keys.js';
import { snapshot } from '../helpers/core.js';
import { eventually } from '../helpers/bot.js';
import { spawnHealgate, type RunningProcess } from '../helpers/process.js';
import { freePort, startRedis, type TestRedis } from '../helpers/redis.js';

let redis: TestRedis;
const running: RunningProcess[] = [];

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await Promise.all(running.map((p) => p.stop('SIGKILL')));
  await redis?.stop();
});

async function startBot(): Promise<string> {
  const port = await freePort();
  const proc = spawnHealgate(['bot'], { REDIS_URL: redis.botUrl, HTTP_PORT: String(port), LOG_LEVEL: 'warn' });
  running.push(proc);
  const url = `http://127.0.0.1:${port}`;
  await eventually(
    async () => ((await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200 ? true : undefined),
    30_000,
    `bot ${url} ready\n${proc.output()}`,
  );
  return url;
}

describe('a bot killed in the middle of a batch', () => {
  it('leaves it to another replica within seconds: every snapshot is decided, and each breach acted on once', async () => {
    const first = await startBot();
    const killed = running[0]!;
    // Breaching hosts: incidents, heals and escalations make the batch take long enough to be caught at work.
    const hosts = Array.from({ length: 300 }, (_, i) => `takeover-${i}`);
    const posted = await fetch(`${first}/v1/metrics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(hosts.map((host) => snapshot({ host, disk_usage: 95 }))),
    });
    expect(posted.status).toBe(202);

    const queue = new Queue(queues.ingest, { connection: redis.client() });
    await eventually(async () => ((await queue.getJobs(['active'])).length > 0 ? true : undefined), 10_000, 'active');
    // Stopped first, so that it cannot finish the batch between the look and the kill.
    killed.child.kill('SIGSTOP');
    const [job] = await queue.getJobs(['active']);
    expect(job).toBeDefined();
    await killed.stop('SIGKILL');
    const killedAt = Date.now();

    const second = await startBot();
    await eventually(
      async () => ((await queue.getJob(job!.id!))?.finishedOn !== undefined ? true : undefined),
      DECISION_WORKER_LOCK.lockDuration + DECISION_WORKER_LOCK.stalledInterval + 10_000,
      'the batch to be taken over and finished',
    );
    const tookOverMs = Date.now() - killedAt;
    console.info(`batch taken over and finished ${tookOverMs} ms after the kill`);
    const { hosts: listed } = (await (await fetch(`${second}/v1/hosts`)).json()) as { hosts: { host: string }[] };
    expect(listed.map((h) => h.host).filter((h) => h.startsWith('takeover-'))).toHaveLength(hosts.length);
    await queue.close();

    // Whatever the killed bot had opened, healed or asked: each host is healed or asked about exactly once,
    // and its incident audited once, by whichever bot got there.
    const byHost = async () => {
      const counts = new Map<string, Record<string, number>>();
      for (const [, fields] of await redis.client().xrange('healgate:audit', '-', '+')) {
        const e = JSON.parse(fields[fields.indexOf('e') + 1]!) as { type: string; host?: string };
        if (!e.host) continue;
        const c = counts.get(e.host) ?? {};
        c[e.type] = (c[e.type] ?? 0) + 1;
        counts.set(e.host, c);
      }
      return counts;
    };
    const followedUp = (c: Record<string, number> | undefined) =>
      (c?.['action.enqueued'] ?? 0) + (c?.['approval.requested'] ?? 0);
    const audit = await eventually(
      async () => {
        const counts = await byHost();
        return hosts.every((h) => followedUp(counts.get(h)) > 0) ? counts : undefined;
      },
      40_000,
      'every host healed or asked about',
    );
    for (const host of hosts) {
      expect({ host, followedUp: followedUp(audit.get(host)) }).toEqual({ host, followedUp: 1 });
      expect({ host, opened: audit.get(host)?.['incident.opened'] }).toEqual({ host, opened: 1 });
    }
  });
});
