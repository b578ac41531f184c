/**
 * A 400-host storm, end to end on one bot and a private redis-server:
 *   - time from the storm's first breach (one POST of 400 hosts at disk 97,
 *     and the same storm as 400 concurrent POSTs) to the group message
 *     holding every host reaching the chat adapter;
 *   - Redis commands per stormed host, against a baseline in the same run:
 *     the same 400 hosts sending healthy snapshots (what every poll costs).
 * The chat adapter only records what it is given, so the figure is the
 * bot's own work (breaker reservations, approvals, audit, events, grouping),
 * not a platform's latency. The default policy: 5 hosts heal, 395 are held.
 * Run: node --import tsx bench/storm.ts   (about 20 s)
 */
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import { startBot, type Bot } from '../src/bot/bot.js';
import type { ChatAdapter, Notification } from '../src/chat/port.js';
import { loadConfig } from '../src/config/env.js';
import { createLogger } from '../src/log.js';
import { freePort, startRedis, type TestRedis } from '../test/helpers/redis.js';
import { mulberry32 } from '../model/training/prng.js';
import { healthy } from './lib/snapshots.js';

const HOSTS = 400;
const ROUNDS = 3;

class Recorder implements ChatAdapter {
  readonly name = 'recorder';
  readonly seen: { at: number; n: Notification }[] = [];
  deliver(n: Notification): Promise<void> {
    this.seen.push({ at: performance.now(), n });
    return Promise.resolve();
  }
}

async function commands(redis: Redis): Promise<number> {
  const info = await redis.info('stats');
  return Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? 0);
}

async function until(what: string, done: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const start = Date.now();
  while (!(await done())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function post(url: string, body: unknown): Promise<void> {
  const r = await fetch(`${url}/v1/metrics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (r.status !== 202) throw new Error(`POST answered ${r.status}`);
}

interface Run {
  readonly ms: number;
  readonly perHost: number;
}

async function storm(asOne: boolean, round: number): Promise<{ storm: Run; baseline: Run }> {
  const redis: TestRedis = await startRedis();
  const recorder = new Recorder();
  const config = loadConfig({ REDIS_URL: redis.url, HTTP_PORT: String(await freePort()), LOG_LEVEL: 'silent' });
  if (!config.ok) throw new Error(config.errors.join('; '));
  const bot: Bot = await startBot(config.config, createLogger('silent'), {
    adapterFactories: [{ name: 'recorder', create: () => recorder }],
  });
  const client = redis.client();
  const hosts = Array.from({ length: HOSTS }, (_, i) => `r${round}-host-${i}`);
  try {
    // Baseline: every host reports healthy once (the hosts become known; nothing opens).
    const rng = mulberry32(round + 1);
    const healthyBody = hosts.map((host) => healthy(host, rng, 0));
    let before = await commands(client);
    let start = performance.now();
    if (asOne) await post(bot.url, healthyBody);
    else await Promise.all(healthyBody.map((s) => post(bot.url, s)));
    await until('every healthy snapshot decided', async () => (await client.zcard('healgate:hosts')) === HOSTS);
    const baseline = { ms: performance.now() - start, perHost: ((await commands(client)) - before) / HOSTS };

    const breach = healthyBody.map((s) => ({ ...s, disk_usage: 97 }));
    before = await commands(client);
    start = performance.now();
    if (asOne) await post(bot.url, breach);
    else await Promise.all(breach.map((s) => post(bot.url, s)));
    const whole = (n: Notification) => n.kind === 'group' && n.group.members.length === HOSTS;
    await until('the group message with every host', () => recorder.seen.some((s) => whole(s.n)));
    const at = recorder.seen.find((s) => whole(s.n))!.at;
    const stormRun = { ms: at - start, perHost: ((await commands(client)) - before) / HOSTS };
    return { storm: stormRun, baseline };
  } finally {
    await bot.close();
    await redis.stop();
  }
}

const fmt = (x: number, d = 1) => x.toFixed(d);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

console.log(
  `# storm bench: ${HOSTS} hosts, ${ROUNDS} rounds per shape, ${cpus().length} cores, node ${process.version}`,
);
for (const asOne of [true, false]) {
  const runs: { storm: Run; baseline: Run }[] = [];
  for (let i = 0; i < ROUNDS; i++) runs.push(await storm(asOne, i));
  const shape = asOne ? 'one POST of 400' : '400 concurrent POSTs';
  const ms = median(runs.map((r) => r.storm.ms));
  const perHost = median(runs.map((r) => r.storm.perHost));
  const basePerHost = median(runs.map((r) => r.baseline.perHost));
  console.log(
    `${shape}: first breach → group message ${fmt(ms, 0)} ms (median; runs ${runs.map((r) => fmt(r.storm.ms, 0)).join(', ')}); ` +
      `Redis commands per stormed host ${fmt(perHost)} vs ${fmt(basePerHost)} per healthy snapshot (ratio ${fmt(perHost / basePerHost)}x)`,
  );
}
