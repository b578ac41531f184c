import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdapterFactory } from '../../src/chat/port.js';
import { startTestBot } from '../helpers/bot.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

/**
 * A platform that refuses after `ms`, as Discord does a bad token: swept over a
 * few milliseconds so that some start fails while BullMQ's connections are
 * still saying hello to Redis.
 */
const refusingAfter = (ms: number): AdapterFactory => ({
  name: 'refusing',
  create: () => ({
    name: 'refusing',
    deliver: () => Promise.resolve(),
    start: () =>
      new Promise<void>((_, reject) => setTimeout(() => reject(new Error('platform refused the token')), ms)),
  }),
});

describe('a bot whose start fails', () => {
  it('says why and leaves no rejection behind that would crash the process', async () => {
    const stray: unknown[] = [];
    const onRejection = (reason: unknown) => stray.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      for (let ms = 0; ms < 16; ms++)
        await expect(startTestBot(redis, {}, { adapterFactories: [refusingAfter(ms)] })).rejects.toThrow(
          'platform refused the token',
        );
      // Rejections of connections closed mid-handshake surface a tick after their sockets close.
      await new Promise((r) => setImmediate(r));
      await redis.client().ping();
    } finally {
      process.off('unhandledRejection', onRejection);
    }
    expect(stray.map(String)).toEqual([]);
  });
});
