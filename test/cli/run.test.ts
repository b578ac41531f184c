import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/bot.js';
import { spawnHealgate, type RunningProcess } from '../helpers/process.js';
import { freePort, startRedis, type TestRedis } from '../helpers/redis.js';

let redis: TestRedis;
let bot: RunningProcess | undefined;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await bot?.stop('SIGKILL');
  await redis?.stop();
});

describe('healgate bot on SIGTERM', () => {
  it('drains and exits 0 while Redis is there', async () => {
    bot = spawnHealgate(['bot'], { REDIS_URL: redis.botUrl, HTTP_PORT: String(await freePort()), LOG_LEVEL: 'info' });
    await eventually(() => (bot!.output().includes('healgate bot ready') ? true : undefined), 30_000, 'the bot');
    expect(await bot.stop('SIGTERM')).toBe(0);
  });

  it('with Redis gone, exits within SHUTDOWN_GRACE, non-zero, naming what it cut off', async () => {
    bot = spawnHealgate(['bot'], {
      REDIS_URL: redis.botUrl,
      HTTP_PORT: String(await freePort()),
      LOG_LEVEL: 'info',
      SHUTDOWN_GRACE: '2s',
    });
    await eventually(() => (bot!.output().includes('healgate bot ready') ? true : undefined), 30_000, 'the bot');
    await redis.kill();
    await eventually(() => (bot!.output().includes('redis connection error') ? true : undefined), 10_000, 'the outage');
    const started = performance.now();
    const code = await bot.stop('SIGTERM');
    const seconds = (performance.now() - started) / 1000;
    expect(code).toBe(3);
    // The grace period, plus what a loaded machine takes to log and exit.
    expect(seconds).toBeGreaterThanOrEqual(1.9);
    expect(seconds).toBeLessThan(5);
    expect(bot.output()).toMatch(
      /shutdown grace period \(SHUTDOWN_GRACE 2000 ms\) over: cut off (agent reports|in-flight decision, expiry and pickup jobs|notifier|chat deliveries)/,
    );
    await redis.restart();
  });
});
