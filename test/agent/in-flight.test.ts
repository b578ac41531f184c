import { readFile, writeFile } from 'node:fs/promises';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../src/agent/agent.js';
import type { Decision } from '../../src/core/decide/types.js';
import { keys } from '../../src/redis/keys.js';
import { DialCollector, sandbox, startTestAgent } from '../helpers/agent.js';
import { eventually, startTestBot, type TestBot } from '../helpers/bot.js';
import { snapshot } from '../helpers/core.js';
import { resultOf } from '../helpers/events.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

let server: TestRedis;
let redis: Redis;
let bot: TestBot;
let agent: Agent;

/**
 * The sandbox policy with a fleet breaker at one host and a memory cleanup
 * that takes 3 s, so that a host's second heal is still running when its
 * first one reports.
 */
async function slowMemoryPolicy(): Promise<string> {
  const box = await sandbox(9); // the dial collector asks no resolver
  const text = (await readFile(box.policyFile, 'utf8'))
    .replace('max_hosts_auto_healing: 50', 'max_hosts_auto_healing: 1')
    .replace('      - [sync]', `      - ['${process.execPath}', -e, 'setTimeout(Object, 3000)']`);
  await writeFile(box.policyFile, text);
  return box.policyFile;
}

beforeAll(async () => {
  server = await startRedis();
  redis = server.client();
  const policyFile = await slowMemoryPolicy();
  bot = await startTestBot(server, { POLICY_FILE: policyFile });
  agent = await startTestAgent(
    server,
    'twin',
    { POLICY_FILE: policyFile, EXECUTION_MODE: 'live' },
    { collector: new DialCollector('twin') },
  );
  // Its first poll, decided before the test's own snapshots.
  await eventually(async () => (await redis.hget(keys.host('twin'), 'updated_at')) ?? undefined);
});

afterAll(async () => {
  await agent?.close();
  await bot?.close();
  await server?.stop();
});

const decisionOf = async (host: string) =>
  ((await bot.request(`/v1/hosts/${host}`)).body as { decision: Decision }).decision;

async function breach(host: string, overrides: Parameters<typeof snapshot>[0]): Promise<Decision> {
  const before = (await redis.hget(keys.host(host), 'updated_at')) ?? '';
  await bot.request('/v1/metrics', { body: snapshot({ host, dns_latency_ms: 5, ...overrides }) });
  await eventually(async () => ((await redis.hget(keys.host(host), 'updated_at')) ?? '') !== before || undefined);
  return decisionOf(host);
}

const incidentOf = (host: string, signal: string) =>
  eventually(async () => (await redis.hget(keys.hostIncidents(host), signal)) ?? undefined);

describe('the fleet breaker and a host healing two conditions at once', () => {
  it('counts the host as healing until its last heal has reported, not its first', async () => {
    const twin = await breach('twin', { disk_usage: 95, memory_usage: 95 });
    expect(twin).toMatchObject({ decision: 'AUTO_HEAL', rule: 'auto_heal' });
    expect(twin.actions.map((a) => a.id).sort()).toEqual(['disk_cleanup', 'memory_cleanup']);
    const disk = await incidentOf('twin', 'disk_usage');
    const memory = await incidentOf('twin', 'memory_usage');

    await eventually(() => resultOf(redis, `${disk}.disk_cleanup`), 20_000, 'the disk cleanup result');
    expect(await resultOf(redis, `${memory}.memory_cleanup`)).toBeUndefined();
    // The memory cleanup still runs on twin: another host's breach is a human's call.
    expect(await breach('other', { disk_usage: 95 })).toMatchObject({
      decision: 'HITL_REQUIRED',
      rule: 'breaker_fleet',
    });

    const done = await eventually(() => resultOf(redis, `${memory}.memory_cleanup`), 20_000, 'the memory cleanup');
    expect(done.outcome).toBe('success');
    // Nothing in flight any more: the next breach heals by itself.
    expect(await breach('third', { disk_usage: 95 })).toMatchObject({ decision: 'AUTO_HEAL', rule: 'auto_heal' });
  });
});
