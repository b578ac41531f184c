import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { Queue } from 'bullmq';
import { afterAll, beforeAll } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBot, type Bot, type BotOptions } from '../../src/bot/bot.js';
import { loadConfig } from '../../src/config/env.js';
import { queues } from '../../src/redis/keys.js';
import { createLogger, type Logger } from '../../src/log.js';
import { DEFAULT_POLICY } from './core.js';
import { freePort, startRedis, type TestRedis } from './redis.js';

/** The default policy with textual edits (e.g. a 2s approval timeout), written to a temp file. */
export async function policyFile(edit: (yaml: string) => string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'healgate-policy-'));
  const path = join(dir, 'policy.yaml');
  await writeFile(path, edit(await readFile(DEFAULT_POLICY, 'utf8')));
  return path;
}

export interface TestBot extends Bot {
  /** `fetch` against the bot's HTTP API. */
  request(
    path: string,
    init?: { method?: string; body?: unknown; token?: string; raw?: string },
  ): Promise<{ status: number; body: unknown }>;
}

/**
 * A real bot in this process, on the test's Redis as the bot's own Redis user
 * (`healgate-bot`, unless `env` names another REDIS_URL), with a free port;
 * silent unless given a logger.
 */
export async function startTestBot(
  redis: TestRedis,
  env: Record<string, string> = {},
  options: BotOptions = {},
  logger: Logger = createLogger('silent'),
): Promise<TestBot> {
  const port = await freePort();
  const result = loadConfig({
    REDIS_URL: redis.botUrl,
    HTTP_PORT: String(port),
    LOG_LEVEL: 'silent',
    APPROVERS: 'console:alice,slack:UAPPROVER',
    ...env,
  });
  if (!result.ok) throw new Error(result.errors.join('; '));
  const bot = await startBot(result.config, logger, options);
  return Object.assign(bot, {
    async request(path: string, init: { method?: string; body?: unknown; token?: string; raw?: string } = {}) {
      const headers: Record<string, string> = {};
      if (init.body !== undefined || init.raw !== undefined) headers['content-type'] = 'application/json';
      if (init.token) headers.authorization = `Bearer ${init.token}`;
      const response = await fetch(`${bot.url}${path}`, {
        method: init.method ?? (init.body !== undefined || init.raw !== undefined ? 'POST' : 'GET'),
        headers,
        ...(init.raw !== undefined
          ? { body: init.raw }
          : init.body !== undefined
            ? { body: JSON.stringify(init.body) }
            : {}),
      });
      const text = await response.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON (e.g. /metrics)
      }
      return { status: response.status, body };
    },
  });
}

/** Polls until `check` returns a value (not undefined), or fails after `ms`. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  ms = 10_000,
  what = 'condition',
): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() - start > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A private Redis and a bot for one test file: started before its tests,
 * stopped after. `env` may be computed (e.g. a policy file to write first).
 */
export function useBot(
  env: Record<string, string> | (() => Promise<Record<string, string>>) = {},
  options: BotOptions = {},
): { redis: TestRedis; bot: TestBot } {
  const ctx = {} as { redis: TestRedis; bot: TestBot };
  beforeAll(async () => {
    ctx.redis = await startRedis();
    ctx.bot = await startTestBot(ctx.redis, typeof env === 'function' ? await env() : env, options);
  });
  afterAll(async () => {
    await ctx.bot?.close();
    await ctx.redis?.stop();
  });
  return ctx;
}

/** Every job ever put on a host's action queue. */
export async function actionJobs(redis: TestRedis, host: string) {
  const queue = new Queue(`healgate-actions-${host}`, { connection: redis.client() });
  const jobs = await queue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed']);
  await queue.close();
  return jobs;
}

/** Waits until every ingest job written so far has been through the decision worker. */
export async function ingestDrained(redis: TestRedis): Promise<void> {
  const queue = new Queue(queues.ingest, { connection: redis.client() });
  await eventually(
    async () => {
      const counts = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'paused');
      return Object.values(counts).every((c) => c === 0) ? true : undefined;
    },
    60_000,
    'the ingest queue to drain',
  );
  await queue.close();
}

/** Waits until the notifier has composed every event published so far, and every chat adapter delivered it all. */
export async function notifierCaughtUp(redis: TestRedis): Promise<void> {
  const client = redis.client();
  const caughtUp = async (stream: string, only?: string) => {
    const info = fields((await client.xinfo('STREAM', stream)) as (string | number)[]);
    const groups = ((await client.xinfo('GROUPS', stream)) as (string | number)[][]).map(fields);
    const mine = groups.filter((g) => only === undefined || g.name === only);
    return (
      mine.length > 0 &&
      mine.every((g) => g['last-delivered-id'] === info['last-generated-id'] && Number(g.pending) === 0)
    );
  };
  await eventually(
    async () =>
      (await caughtUp('healgate:events', 'notifier')) && (await caughtUp('healgate:notifications')) ? true : undefined,
    10_000,
    'the notifier to catch up',
  );
}

function fields(flat: readonly (string | number)[]): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = flat[i + 1]!;
  return out;
}

/**
 * The audit entries a query of `GET /v1/audit` finds once there are at least
 * `atLeast`: the audit records each event a moment after it is written.
 */
export async function auditEntriesOf<T = Record<string, unknown>>(
  bot: { request: TestBot['request'] },
  query: string,
  atLeast = 1,
): Promise<T[]> {
  return eventually(async () => {
    const { body } = await bot.request(`/v1/audit?window=1h&${query}`);
    const { entries } = body as { entries: T[] };
    return entries.length >= atLeast ? entries : undefined;
  }, 15_000);
}
