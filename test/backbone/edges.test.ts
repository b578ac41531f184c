import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshot } from '../helpers/core.js';
import { eventually, startTestBot, type TestBot } from '../helpers/bot.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

let redis: TestRedis;
let bot: TestBot;

beforeAll(async () => {
  redis = await startRedis();
  bot = await startTestBot(redis, { INGEST_TOKEN: 's3cret-token' });
});

afterAll(async () => {
  await bot?.close();
  await redis?.stop();
});

describe('INGEST_TOKEN', () => {
  it('guards /v1/* with a bearer token and leaves probes open', async () => {
    expect(await bot.request('/v1/metrics', { body: snapshot() })).toMatchObject({
      status: 401,
      body: { error: 'missing or wrong bearer token (INGEST_TOKEN)' },
    });
    expect((await bot.request('/v1/metrics', { body: snapshot(), token: 'wrong-token!' })).status).toBe(401);
    expect((await bot.request('/v1/hosts')).status).toBe(401);
    expect((await bot.request('/v1/metrics', { body: snapshot(), token: 's3cret-token' })).status).toBe(202);
    expect((await bot.request('/healthz')).status).toBe(200);
  });
});

describe('Redis outage', () => {
  it('answers 503 instead of dropping snapshots, reports not ready, and recovers', async () => {
    await redis.kill();
    await eventually(() => (bot.connection.redis.status !== 'ready' ? true : undefined));
    const refused = await bot.request('/v1/metrics', {
      body: snapshot({ host: 'during-outage' }),
      token: 's3cret-token',
    });
    expect(refused).toMatchObject({
      status: 503,
      body: { error: 'Redis is unavailable; nothing was accepted, retry later' },
    });
    expect((await bot.request('/readyz')).status).toBe(503);

    await redis.restart();
    await eventually(async () => ((await bot.request('/readyz')).status === 200 ? true : undefined), 15_000);
    expect(
      (await bot.request('/v1/metrics', { body: snapshot({ host: 'after-outage' }), token: 's3cret-token' })).status,
    ).toBe(202);
    await eventually(
      async () =>
        (await bot.request('/v1/hosts/after-outage', { token: 's3cret-token' })).status === 200 ? true : undefined,
      15_000,
    );
    expect((await bot.request('/v1/hosts/during-outage', { token: 's3cret-token' })).status).toBe(404);
  });
});
