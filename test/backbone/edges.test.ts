import { describe, expect, it } from 'vitest';
import { snapshot } from '../helpers/core.js';
import { eventually, useBot } from '../helpers/bot.js';

const t = useBot({ INGEST_TOKEN: 's3cret-token' });

describe('INGEST_TOKEN', () => {
  it('guards /v1/* with a bearer token and leaves probes open', async () => {
    expect(await t.bot.request('/v1/metrics', { body: snapshot() })).toMatchObject({
      status: 401,
      body: { error: 'missing or wrong bearer token (INGEST_TOKEN)' },
    });
    expect((await t.bot.request('/v1/metrics', { body: snapshot(), token: 'wrong-token!' })).status).toBe(401);
    expect((await t.bot.request('/v1/hosts')).status).toBe(401);
    expect((await t.bot.request('/v1/metrics', { body: snapshot(), token: 's3cret-token' })).status).toBe(202);
    expect((await t.bot.request('/healthz')).status).toBe(200);
  });
});

describe('Redis outage', () => {
  it('answers 503 instead of dropping snapshots, reports not ready, and recovers', async () => {
    await t.redis.kill();
    await eventually(() => (t.bot.connection.redis.status !== 'ready' ? true : undefined));
    const refused = await t.bot.request('/v1/metrics', {
      body: snapshot({ host: 'during-outage' }),
      token: 's3cret-token',
    });
    expect(refused).toMatchObject({
      status: 503,
      body: { error: 'Redis is unavailable; nothing was accepted, retry later' },
    });
    expect((await t.bot.request('/readyz')).status).toBe(503);
    // Reads answer at once too, rather than hanging until Redis is back.
    expect((await t.bot.request('/v1/hosts', { token: 's3cret-token' })).status).toBe(503);

    await t.redis.restart();
    await eventually(async () => ((await t.bot.request('/readyz')).status === 200 ? true : undefined), 15_000);
    expect(
      (await t.bot.request('/v1/metrics', { body: snapshot({ host: 'after-outage' }), token: 's3cret-token' })).status,
    ).toBe(202);
    await eventually(
      async () =>
        (await t.bot.request('/v1/hosts/after-outage', { token: 's3cret-token' })).status === 200 ? true : undefined,
      15_000,
    );
    expect((await t.bot.request('/v1/hosts/during-outage', { token: 's3cret-token' })).status).toBe(404);
  });
});
