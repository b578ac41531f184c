import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { freePort, startRedis, type TestRedis } from '../helpers/redis.js';

let redis: TestRedis;

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await redis?.stop();
});

describe('healgate bot start-up', () => {
  it('names every bad variable and exits non-zero without starting', async () => {
    const { code, stderr } = await runCli(['bot'], {
      env: { REDIS_URL: redis.botUrl, HTTP_PORT: 'eighty', EXECUTION_MODE: 'yolo', APPROVERS: 'alice' },
    });
    expect(code).toBe(2);
    expect(stderr).toContain('healgate: invalid configuration:');
    expect(stderr).toContain('HTTP_PORT');
    expect(stderr).toContain('EXECUTION_MODE');
    expect(stderr).toContain('APPROVERS');
  });

  it('refuses a POLL_INTERVAL past what a timer holds before the agent starts', async () => {
    const { code, stderr } = await runCli(['agent'], {
      env: { REDIS_URL: await redis.agentUrl('overflow-1'), HOST_ID: 'overflow-1', POLL_INTERVAL: '30d' },
    });
    expect(code).toBe(2);
    expect(stderr).toContain('POLL_INTERVAL: "30d" is longer than a timer can wait');
    expect(await redis.client().exists('healgate:agent:overflow-1')).toBe(0);
  });

  it('refuses to listen off loopback without INGEST_TOKEN', async () => {
    const { code, stderr } = await runCli(['bot'], { env: { REDIS_URL: redis.botUrl, HTTP_HOST: '0.0.0.0' } });
    expect(code).toBe(2);
    expect(stderr).toContain('INGEST_TOKEN');
  });

  it('refuses a Redis that may evict keys', async () => {
    const client = redis.client();
    await client.config('SET', 'maxmemory-policy', 'allkeys-lru');
    const { code, stderr } = await runCli(['bot'], {
      env: { REDIS_URL: redis.botUrl, HTTP_PORT: String(await freePort()) },
    });
    await client.config('SET', 'maxmemory-policy', 'noeviction');
    expect(code).toBe(2);
    expect(stderr).toContain('noeviction');
  });
});
