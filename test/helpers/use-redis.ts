import type { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { startRedis, type TestRedis } from './redis.js';

/** A private redis-server and a client for one test file: started before its tests, stopped after. */
export function useRedis(): { server: TestRedis; redis: Redis } {
  const ctx = {} as { server: TestRedis; redis: Redis };
  beforeAll(async () => {
    ctx.server = await startRedis();
    ctx.redis = ctx.server.client();
  });
  afterAll(async () => {
    await ctx.server?.stop();
  });
  return ctx;
}
