/**
 * End-to-end pipeline throughput and latency, against a BullMQ baseline
 * measured in the same run on the same private redis-server:
 *   1. baseline: a no-op BullMQ pipeline (one job per item, empty processor,
 *      concurrency 4 like the decision worker), items per second end to end;
 *   2. batched: snapshots → decisions per second through the bot's HTTP API,
 *      micro-batched ingest and decision worker (goal >= 3x the baseline);
 *   3. latency: single-snapshot POSTs paced at 1,000 snapshots/s, ingest →
 *      decision latency p50/p99/max (goal p99 < 20 ms).
 * The bot, the batch clients and the BullMQ baseline run in this process, the
 * steady-rate sender in a worker thread; Redis is a private redis-server (AOF
 * on, as in production) on a free port.
 * Run: node --import tsx bench/pipeline.ts   (about 2 minutes)
 */
import { Worker as Thread } from 'node:worker_threads';
import type { SenderJob, SenderReport } from './lib/steady-sender.js';
import { cpus } from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { startBot, type Bot } from '../src/bot/bot.js';
import { loadConfig } from '../src/config/env.js';
import type { Decision } from '../src/core/decide/types.js';
import { createLogger } from '../src/log.js';
import { DEFAULT_AUDIT_KEY } from '../src/audit/index.js';
import { queues } from '../src/redis/keys.js';
import { mulberry32, type Rng } from '../model/training/prng.js';
import { freePort, startRedis, type TestRedis } from '../test/helpers/redis.js';
import { HttpClient } from './lib/http.js';
import { healthy } from './lib/snapshots.js';

const BASELINE_N = 20_000;
const BASELINE_WARMUP = 2_000;
const BASELINE_CHUNK = 1_000; // items per addBulk call
const WORKER_CONCURRENCY = 4; // as startDecisionWorker

const BATCH_N = 50_000;
const BATCH_WARMUP = 10_000;
const BATCH_SIZE = 500; // snapshots per POST
const BATCH_HOSTS = 200;
const BATCH_CLIENTS = 8; // concurrent HTTP clients
/**
 * Share of snapshots with disk_usage > 85, at random. 0 measures the pipeline
 * itself; BENCH_BREACH_RATE=0.03 is a stress case where hosts flap in and out
 * of incidents (each flap an incident, an approval request and a resolution).
 */
const BREACH_RATE = Number(process.env.BENCH_BREACH_RATE ?? 0);

/** snapshots per second; BENCH_LAT_RATE overrides it to find the rate the machine sustains */
const LAT_RATE = Number(process.env.BENCH_LAT_RATE ?? 1_000);
const LAT_WARMUP_S = 3;
const LAT_SECONDS = 15;
const LAT_HOSTS = 10_000;

const PHASE_TIMEOUT_MS = 90_000;

const round = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Resolves when `done()` holds, polling; rejects after `timeoutMs`. */
async function until(what: string, done: () => boolean, timeoutMs = PHASE_TIMEOUT_MS): Promise<void> {
  const start = Date.now();
  while (!done()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(1);
  }
}

// ---------------------------------------------------------------------------
// Where the time goes: Redis commands and CPU of both processes over a phase

interface Usage {
  /** Redis commands per item, by command, most frequent first */
  commands: [string, number][];
  commandsPerItem: number;
  /** CPU ms per 1,000 items */
  nodeCpu: number;
  redisCpu: number;
  /** audit entries appended per item */
  audit: number;
}

async function redisCpuMs(admin: Redis): Promise<number> {
  const info = await admin.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:(\\S+)`, 'm').exec(info)?.[1] ?? NaN);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1000;
}

/** Starts counting; the returned function stops and reports per `items`. */
async function usage(admin: Redis): Promise<(items: number) => Promise<Usage>> {
  await admin.config('RESETSTAT');
  const redis0 = await redisCpuMs(admin);
  const audit0 = await admin.xlen(DEFAULT_AUDIT_KEY);
  const node0 = process.cpuUsage();
  return async (items) => {
    const node = process.cpuUsage(node0);
    const redisMs = (await redisCpuMs(admin)) - redis0;
    const audit = (await admin.xlen(DEFAULT_AUDIT_KEY)) - audit0;
    const stats = await admin.info('commandstats');
    const commands: [string, number][] = [];
    for (const m of stats.matchAll(/^cmdstat_(\S+?):calls=(\d+)/gm)) commands.push([m[1]!, Number(m[2]) / items]);
    commands.sort((a, b) => b[1] - a[1]);
    return {
      commands,
      commandsPerItem: commands.reduce((a, c) => a + c[1], 0),
      nodeCpu: ((node.user + node.system) / 1000 / items) * 1000,
      redisCpu: (redisMs / items) * 1000,
      audit: audit / items,
    };
  };
}

function describeUsage(u: Usage, unit: string): string {
  const top = u.commands
    .slice(0, 6)
    .map(([c, n]) => `${c} ${round(n, 2)}`)
    .join(', ');
  const one = unit.replace(/s$/, '');
  const evalsha = u.commands.find(([c]) => c === 'evalsha')?.[1] ?? 0;
  return (
    `CPU per 1k ${unit}: node ${round(u.nodeCpu)} ms, redis-server ${round(u.redisCpu)} ms\n` +
    `    Redis commands per ${one} (Lua-internal calls included): ${round(u.commandsPerItem, 1)} (${top})` +
    (u.audit > 0
      ? `\n    audit entries per ${one}: ${round(u.audit, 3)}; EVALSHA per audit entry: ${round(evalsha / u.audit, 1)}`
      : '')
  );
}

// ---------------------------------------------------------------------------
// 1. Baseline: no-op BullMQ pipeline

async function baseline(redis: TestRedis, admin: Redis): Promise<{ rate: number; seconds: number; usage: Usage }> {
  const connection = redis.client();
  const name = 'bench-baseline';
  const queue = new Queue(name, { connection });
  let completed = 0;
  const worker = new Worker(name, () => Promise.resolve(), { connection, concurrency: WORKER_CONCURRENCY });
  worker.on('completed', () => completed++);
  await worker.waitUntilReady();

  const run = async (n: number) => {
    completed = 0;
    const start = performance.now();
    for (let i = 0; i < n; i += BASELINE_CHUNK) {
      const count = Math.min(BASELINE_CHUNK, n - i);
      await queue.addBulk(
        Array.from({ length: count }, (_, j) => ({
          name: 'item',
          data: { i: i + j },
          opts: { removeOnComplete: 1000, removeOnFail: 5000 },
        })),
      );
    }
    await until('baseline jobs', () => completed >= n);
    return (performance.now() - start) / 1000;
  };
  await run(BASELINE_WARMUP);
  const stop = await usage(admin);
  const seconds = await run(BASELINE_N);
  const used = await stop(BASELINE_N);
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return { rate: BASELINE_N / seconds, seconds, usage: used };
}

// ---------------------------------------------------------------------------
// 2. Batched throughput through HTTP and Redis

let decisionHook: (d: Decision) => void = () => undefined;

async function ingestIdle(queue: Queue): Promise<void> {
  for (;;) {
    const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
    if (Object.values(c).every((v) => v === 0)) return;
    await sleep(20);
  }
}

async function batched(
  bot: Bot,
  ingestQueue: Queue,
  admin: Redis,
  n: number,
  rng: Rng,
): Promise<{
  rate: number;
  seconds: number;
  postP50: number;
  postP99: number;
  decisions: Record<string, number>;
  usage: Usage;
}> {
  const http = new HttpClient(new URL(bot.url));
  const requests = Math.ceil(n / BATCH_SIZE);
  // Bodies are built before the clock starts: the clients should cost the bot as little CPU as possible.
  let hostIndex = 0;
  const bodies = Array.from({ length: requests }, () =>
    Buffer.from(
      JSON.stringify(
        Array.from({ length: BATCH_SIZE }, () => healthy(`host-${hostIndex++ % BATCH_HOSTS}`, rng, BREACH_RATE)),
      ),
    ),
  );
  const total = requests * BATCH_SIZE;
  let decided = 0;
  const decisions: Record<string, number> = {};
  decisionHook = (d) => {
    decided++;
    decisions[d.decision] = (decisions[d.decision] ?? 0) + 1;
  };
  const postMs: number[] = [];
  let next = 0;
  const stop = await usage(admin);
  const start = performance.now();
  const client = async () => {
    while (next < bodies.length) {
      const r = await http.post('/v1/metrics', bodies[next++]!);
      if (r.status !== 202) throw new Error(`POST /v1/metrics answered ${r.status}`);
      postMs.push(r.ms);
    }
  };
  await Promise.all(Array.from({ length: BATCH_CLIENTS }, client));
  await until('decisions', () => decided >= total);
  http.close();
  const seconds = (performance.now() - start) / 1000;
  const used = await stop(total);
  decisionHook = () => undefined;
  await ingestIdle(ingestQueue);
  postMs.sort((a, b) => a - b);
  return {
    rate: total / seconds,
    seconds,
    postP50: percentile(postMs, 50),
    postP99: percentile(postMs, 99),
    decisions,
    usage: used,
  };
}

// ---------------------------------------------------------------------------
// 3. Latency at a steady rate

interface LatencyResult {
  sent: number;
  decided: number;
  sendRate: number;
  p50: number;
  p99: number;
  max: number;
  postP50: number;
  postP99: number;
  /** POST answered (202) → decision, p50/p99 */
  /** event-loop delay while sending, ms */
  loopP99: number;
  loopMax: number;
  /** event-loop utilisation of the bot's thread and of the sender's, while sending */
  botBusy: number;
  senderBusy: number;
  usage: Usage;
}

async function steady(bot: Bot, ingestQueue: Queue, admin: Redis, seconds: number, seed: number, measure: boolean) {
  const latencies: number[] = [];
  decisionHook = (d) => {
    // ts is the send time at ms resolution: latencies read up to 1 ms long.
    if (d.host.startsWith('lat-') && d.ts)
      latencies.push(performance.timeOrigin + performance.now() - Date.parse(d.ts));
  };
  const loop = monitorEventLoopDelay({ resolution: 1 });
  const elu0 = performance.eventLoopUtilization();
  const stop = await usage(admin);
  loop.enable();
  const job: SenderJob = { url: bot.url, rate: LAT_RATE, seconds, hosts: LAT_HOSTS, seed, breachRate: BREACH_RATE };
  // Workers do not inherit tsx's loader: the thread registers it before importing the sender.
  const sender = new URL('./lib/steady-sender.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(sender)}); })`;
  const thread = new Thread(boot, { eval: true, workerData: job });
  const report = await new Promise<SenderReport>((resolve, reject) => {
    thread.once('message', (m: SenderReport) => resolve(m));
    thread.once('error', reject);
  });
  loop.disable();
  const botBusy = performance.eventLoopUtilization(elu0).utilization;
  await until('latency decisions', () => latencies.length + report.failures >= report.sent, 30_000).catch((e: Error) =>
    console.warn(`warning: ${e.message} (${latencies.length}/${report.sent} decided)`),
  );
  const used = await stop(report.sent);
  decisionHook = () => undefined;
  await ingestIdle(ingestQueue);
  if (!measure) return undefined;
  if (report.failures > 0) console.warn(`warning: ${report.failures} POSTs failed`);
  latencies.sort((a, b) => a - b);
  const postMs = [...report.postMs].sort((a, b) => a - b);
  const result: LatencyResult = {
    sent: report.sent,
    decided: latencies.length,
    sendRate: (report.sent - 1) / report.sendSeconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? NaN,
    postP50: percentile(postMs, 50),
    postP99: percentile(postMs, 99),
    loopP99: loop.percentile(99) / 1e6,
    botBusy,
    senderBusy: report.busy,
    loopMax: loop.max / 1e6,
    usage: used,
  };
  return result;
}

// ---------------------------------------------------------------------------

const cpu = cpus();
console.log(`machine: ${cpu[0]?.model ?? 'unknown'} (${cpu.length} cores), node ${process.version}`);
const runStart = performance.now();
const redis = await startRedis();
const admin = redis.client();
const info = await admin.info('server');
console.log(`redis-server ${/redis_version:(\S+)/.exec(info)?.[1] ?? '?'} on ${redis.url} (AOF everysec)`);

let bot: Bot | undefined;
let ingestQueue: Queue | undefined;
try {
  console.log(`\n[1] baseline: no-op BullMQ, one job per item, concurrency ${WORKER_CONCURRENCY}…`);
  const base = await baseline(redis, admin);
  console.log(
    `    ${round(BASELINE_N)} items in ${round(base.seconds, 2)} s = ${round(base.rate)} items/s (addBulk of ${BASELINE_CHUNK})`,
  );
  console.log(`    ${describeUsage(base.usage, 'items')}`);

  const config = loadConfig({ REDIS_URL: redis.url, HTTP_PORT: String(await freePort()), LOG_LEVEL: 'silent' });
  if (!config.ok) throw new Error(config.errors.join('; '));
  bot = await startBot(config.config, createLogger('silent'), { onDecision: (d) => decisionHook(d) });
  ingestQueue = new Queue(queues.ingest, { connection: redis.client() });
  const rng = mulberry32(20261125);

  console.log(
    `\n[2] batched: POST arrays of ${BATCH_SIZE} snapshots, ${BATCH_HOSTS} hosts, ${BATCH_CLIENTS} clients, ${BREACH_RATE * 100}% disk breaches…`,
  );
  await batched(bot, ingestQueue, admin, BATCH_WARMUP, rng);
  const batch = await batched(bot, ingestQueue, admin, BATCH_N, rng);
  const ratio = batch.rate / base.rate;
  console.log(
    `    ${round(BATCH_N)} snapshots decided in ${round(batch.seconds, 2)} s = ${round(batch.rate)} decisions/s` +
      ` → ${round(ratio, 2)}x the baseline (goal >= 3x)`,
  );
  console.log(
    `    POST of ${BATCH_SIZE}: p50 ${round(batch.postP50, 1)} ms, p99 ${round(batch.postP99, 1)} ms; decisions ${JSON.stringify(batch.decisions)}`,
  );
  console.log(`    ${describeUsage(batch.usage, 'decisions')}`);

  console.log(
    `\n[3] latency: single-snapshot POSTs at ${LAT_RATE}/s for ${LAT_SECONDS} s (after ${LAT_WARMUP_S} s warm-up)…`,
  );
  await steady(bot, ingestQueue, admin, LAT_WARMUP_S, 1, false);
  const lat = (await steady(bot, ingestQueue, admin, LAT_SECONDS, 2, true))!;
  console.log(
    `    sent ${round(lat.sent)} at ${round(lat.sendRate, 1)} snapshots/s, decided ${round(lat.decided)};` +
      ` ingest→decision p50 ${round(lat.p50, 2)} ms, p99 ${round(lat.p99, 2)} ms, max ${round(lat.max, 2)} ms (goal p99 < 20 ms)`,
  );
  console.log(
    `    POST→202: p50 ${round(lat.postP50, 2)} ms, p99 ${round(lat.postP99, 2)} ms;` +
      ` bot event-loop delay p99 ${round(lat.loopP99, 1)} ms, max ${round(lat.loopMax, 1)} ms;` +
      ` busy: bot thread ${round(lat.botBusy * 100)}%, sender thread ${round(lat.senderBusy * 100)}%`,
  );
  console.log(`    ${describeUsage(lat.usage, 'snapshots')}`);

  const rows: [string, string, string][] = [
    ['baseline no-op BullMQ (1 job/item)', `${round(base.rate)} items/s`, ''],
    ['batched HTTP → decisions', `${round(batch.rate)} decisions/s`, `${round(ratio, 2)}x baseline (goal >= 3x)`],
    ['steady send rate', `${round(lat.sendRate, 1)} snapshots/s`, `target ${LAT_RATE}/s`],
    ['ingest→decision p50', `${round(lat.p50, 2)} ms`, ''],
    ['ingest→decision p99', `${round(lat.p99, 2)} ms`, 'goal < 20 ms'],
    ['ingest→decision max', `${round(lat.max, 2)} ms`, ''],
  ];
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  console.log(`\nsummary (${round((performance.now() - runStart) / 1000, 1)} s total)`);
  for (const [a, b, c] of rows) console.log(`  ${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`);
} finally {
  await ingestQueue?.close();
  await bot?.close();
  await redis.stop();
}
