import { mkdir, mkdtemp, readFile, readdir, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { ActionQueues, type ActionJob } from '../../src/actions/queues.js';
import { signerFor } from '../../src/actions/signing.js';
import { startAgent, type Agent, type AgentOptions } from '../../src/agent/agent.js';
import type { Collector } from '../../src/agent/collector.js';
import { loadConfig } from '../../src/config/env.js';
import { createLogger } from '../../src/log.js';
import { keys } from '../../src/redis/keys.js';
import { eventually } from './bot.js';
import { resultOf } from './events.js';
import type { Signal, Snapshot } from '../../src/core/snapshot/schema.js';
import { REPO_ROOT } from './cli.js';
import { snapshot } from './core.js';
import { spawnHealgate, type RunningProcess } from './process.js';
import type { TestRedis } from './redis.js';

export const SANDBOX_POLICY = join(REPO_ROOT, 'test/fixtures/sandbox-policy.yaml');

export interface Sandbox {
  readonly dir: string;
  /** disk_cleanup's scratch directory. */
  readonly scratch: string;
  /** slow_marker leaves one file here per run. */
  readonly runs: string;
  /** restart_service restarts the process whose pid is here. */
  readonly pidfile: string;
  readonly policyFile: string;
}

/** A temp directory with the sandbox policy pointed at it and at a loopback resolver. */
export async function sandbox(dnsPort: number): Promise<Sandbox> {
  const dir = await mkdtemp(join(tmpdir(), 'healgate-sandbox-'));
  const scratch = join(dir, 'scratch');
  const runs = join(dir, 'runs');
  await Promise.all([mkdir(scratch), mkdir(runs)]);
  const policyFile = join(dir, 'policy.yaml');
  const pidfile = join(dir, 'service.pid');
  const text = (await readFile(SANDBOX_POLICY, 'utf8'))
    .replaceAll('@NODE@', process.execPath)
    .replaceAll('@FIXTURES@', join(REPO_ROOT, 'test/fixtures'))
    .replaceAll('@PIDFILE@', pidfile)
    .replaceAll('@SCRATCH@', scratch)
    .replaceAll('@RUNS@', runs)
    .replaceAll('@DNS_PORT@', String(dnsPort));
  await writeFile(policyFile, text);
  return { dir, scratch, runs, pidfile, policyFile };
}

/** Files in the scratch directory: `old-*` 30 days old, `new-*` just written. */
export async function fillScratch(scratch: string, old: number, fresh: number): Promise<void> {
  const month = new Date(Date.now() - 30 * 86_400_000);
  for (let i = 0; i < old; i++) {
    const path = join(scratch, `old-${i}.log`);
    await writeFile(path, 'x'.repeat(1024));
    await utimes(path, month, month);
  }
  for (let i = 0; i < fresh; i++) await writeFile(join(scratch, `new-${i}.log`), 'y');
}

export const files = async (dir: string) => (await readdir(dir)).sort();

/**
 * A real `healgate agent` process for `host` on the test's Redis, as the
 * host's own Redis user (`healgate-agent-<host>`) unless `env` names another
 * REDIS_URL.
 */
export async function spawnAgent(
  redis: TestRedis,
  host: string,
  policyFile: string,
  env: Record<string, string> = {},
): Promise<RunningProcess> {
  return spawnHealgate(['agent'], {
    REDIS_URL: env.REDIS_URL ?? (await redis.agentUrl(host)),
    HOST_ID: host,
    POLICY_FILE: policyFile,
    POLL_INTERVAL: '1h',
    EXECUTION_MODE: 'live',
    LOG_LEVEL: 'info',
    ...env,
  });
}

/**
 * A real agent for `host` in this process, on the test's Redis as the host's
 * own Redis user (`healgate-agent-<host>`); polling hourly and silent unless
 * `env` says otherwise.
 */
export async function startTestAgent(
  redis: TestRedis,
  host: string,
  env: Record<string, string> = {},
  options: AgentOptions = {},
): Promise<Agent> {
  const config = loadConfig({
    REDIS_URL: await redis.agentUrl(host),
    HOST_ID: host,
    POLL_INTERVAL: '1h',
    LOG_LEVEL: 'silent',
    ...env,
  });
  if (!config.ok) throw new Error(config.errors.join('; '));
  return startAgent(config.config, createLogger('silent'), options);
}

/**
 * The host's disk as a test decides it: the sandbox cannot fill a real
 * filesystem past 85%, so what the agent measures comes from here, while
 * the cleanup it runs is real.
 */
export class DialCollector implements Collector {
  disk = 40;
  /** Set: measuring fails, as when a filesystem went away. */
  broken: string | undefined;
  constructor(private readonly host: string) {}
  snapshot(): Promise<Snapshot> {
    if (this.broken) return Promise.reject(new Error(this.broken));
    return Promise.resolve(snapshot({ host: this.host, disk_usage: this.disk, cpu_usage: 10, dns_latency_ms: 5 }));
  }
  async signal(signal: Signal): Promise<number> {
    return (await this.snapshot())[signal];
  }
}

/** The sandbox's slow_marker as the bot enqueues an approved one: it leaves one file in `dir` per run. */
export function markerJob(host: string, key: string, dir: string, seconds = 0): ActionJob {
  return {
    key,
    host,
    trigger: 'approval',
    approval_id: null,
    incident_ids: [],
    actions: [{ id: 'slow_marker', params: { run_dir: dir, seconds } }],
    enqueued_at: new Date().toISOString(),
  };
}

/** Waits until a snapshot of `host` newer than `since` (ms) was decided: its agent is up and reporting. */
export async function firstSnapshot(redis: Redis, host: string, since: number, agent: RunningProcess): Promise<void> {
  await eventually(
    async () => (Number(await redis.hget(keys.host(host), 'updated_at')) > since ? true : undefined),
    30_000,
    `the first snapshot of ${host}\n${agent.output()}`,
  );
}

/**
 * Enqueues a slow_marker for `host` the way the bot does (signed with the
 * development key) and returns its result and the files it left in a fresh
 * run directory.
 */
export async function runMarker(server: TestRedis, box: Sandbox, host: string, name: string) {
  const dir = join(box.runs, name);
  await mkdir(dir);
  const redis = server.client();
  const queues = new ActionQueues(server.client(), redis, signerFor({}).signer);
  const key = `${name}.slow_marker`;
  await queues.enqueue(markerJob(host, key, dir));
  const result = await eventually(() => resultOf(redis, key), 20_000, `the result of ${key}`);
  await queues.close();
  return { result, files: await files(dir) };
}
