import { spawn } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import { redactUrl } from '../config/redact.js';
import type { Config } from '../config/types.js';
import type { Logger } from '../log.js';
import { RedisSetupError } from './errors.js';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export interface ConnectOptions {
  /** REDIS_URL: when set, this Redis or nothing. */
  url?: string;
  /** Where a private redis-server keeps its append-only file. */
  dataDir: string;
  logger: Logger;
  /** Address probed (and taken by a private server) when `url` is unset; tests point it away from 6379. */
  defaultUrl?: string;
  /** How long a given `url` has to answer (default 5 s). */
  timeoutMs?: number;
  /** The server binary; tests name a missing one. */
  redisServer?: string;
  /** REDIS_TLS_CA_FILE: the CA (PEM) that signed the server's certificate, for `rediss://` URLs. */
  tlsCaFile?: string;
}

/** What the configuration says about reaching Redis. */
export function configuredRedis(
  config: Pick<Config, 'redisUrl' | 'redisDataDir' | 'redisTlsCaFile'>,
  logger: Logger,
): ConnectOptions {
  return {
    ...(config.redisUrl ? { url: config.redisUrl } : {}),
    ...(config.redisTlsCaFile ? { tlsCaFile: config.redisTlsCaFile } : {}),
    dataDir: config.redisDataDir,
    logger,
  };
}

/** `rediss://` verifies the server against the system's CAs, or against REDIS_TLS_CA_FILE's when set. */
async function tlsOptions(url: string, caFile: string | undefined): Promise<Pick<RedisOptions, 'tls'>> {
  if (!url.startsWith('rediss://')) return {};
  if (!caFile) return { tls: {} };
  const ca = await readFile(caFile).catch((err: Error) => {
    throw new RedisSetupError(`cannot read the Redis CA file ${caFile} (REDIS_TLS_CA_FILE): ${err.message}`);
  });
  return { tls: { ca } };
}

export interface RedisConnection {
  /** Reconnects forever; suitable as a BullMQ connection. */
  redis: Redis;
  /** May hold a password: log `redactUrl(url)`. */
  url: string;
  privateServer: boolean;
  /** Closes the client and stops the private server, if any. Idempotent. */
  close(): Promise<void>;
}

const DEFAULT_PROBE_MS = 1_000;
const SERVER_START_MS = 10_000;
const SERVER_STOP_MS = 10_000;

/**
 * Connects to Redis: `url` when given, otherwise the default address, and
 * when nothing answers there a private redis-server with AOF under `dataDir`.
 * Refuses a Redis that may evict keys.
 */
export async function connectRedis(options: ConnectOptions): Promise<RedisConnection> {
  const { logger } = options;
  let server: PrivateServer | undefined;
  let url: string;
  const tls = await tlsOptions(options.url ?? '', options.tlsCaFile);
  if (options.url !== undefined) {
    url = options.url;
    const failure = await probe(url, options.timeoutMs ?? 5_000, tls);
    if (failure) throw new RedisSetupError(`cannot reach Redis at ${redactUrl(url)} (REDIS_URL): ${failure.message}`);
  } else {
    url = options.defaultUrl ?? DEFAULT_REDIS_URL;
    const failure = await probe(url, DEFAULT_PROBE_MS);
    if (failure?.code === 'ECONNREFUSED') {
      server = await startPrivateServer(url, resolve(options.dataDir), options.redisServer ?? 'redis-server', logger);
    } else if (failure) {
      throw new RedisSetupError(`Redis at ${redactUrl(url)} does not work: ${failure.message}; set REDIS_URL`);
    }
  }

  const redis = new Redis(url, {
    // BullMQ workers block on Redis and must never give up a command.
    maxRetriesPerRequest: null,
    retryStrategy: (attempt) => Math.min(attempt * 200, 5_000),
    connectionName: 'healgate',
    ...tls,
  });
  let wasReady = false;
  redis.on('error', (err: Error) => logger.warn({ err: err.message, redis: redactUrl(url) }, 'redis connection error'));
  redis.on('ready', () => {
    if (wasReady) logger.info({ redis: redactUrl(url) }, 'redis reconnected');
    wasReady = true;
  });

  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      await closeClient(redis);
      await server?.stop();
    })());

  try {
    await checkNoEviction(redis, url, options.timeoutMs ?? 5_000);
  } catch (err) {
    await close();
    throw err;
  }
  const kind = server ? 'private' : options.url !== undefined ? 'given' : 'shared';
  // Said loudly: a Redis found on the default port may belong to something else, and healgate writes its keys there.
  const say = kind === 'shared' ? logger.warn.bind(logger) : logger.info.bind(logger);
  say({ redis: redactUrl(url), privateServer: server !== undefined, kind }, CONNECTED[kind](redactUrl(url), options));
  return { redis, url, privateServer: server !== undefined, close };
}

const CONNECTED = {
  given: (url: string) => `redis: using ${url} (REDIS_URL)`,
  shared: (url: string) =>
    `redis: using the Redis already running at ${url}, shared with whatever else uses it (healgate's keys start with healgate:); set REDIS_URL to choose one`,
  private: (url: string, options: ConnectOptions) =>
    `redis: nothing answered at ${url}: started a private redis-server there (data in ${resolve(options.dataDir)}), stopped on exit`,
} as const;

/** QUIT lets replies in flight arrive; a dead or hung server must not hold shutdown up. */
async function closeClient(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  const ended = new Promise<void>((r) => redis.once('end', () => r()));
  if (redis.status !== 'ready') redis.disconnect();
  const timer = setTimeout(() => redis.disconnect(), 2_000);
  await redis.quit().catch(() => undefined);
  await ended;
  clearTimeout(timer);
}

type ProbeFailure = { code: string | undefined; message: string };

/** One connection attempt, no retries: undefined when Redis answers PING. */
async function probe(
  url: string,
  timeoutMs: number,
  tls: Pick<RedisOptions, 'tls'> = {},
): Promise<ProbeFailure | undefined> {
  const client = new Redis(url, {
    ...tls,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  let socketError: NodeJS.ErrnoException | undefined;
  client.on('error', (err: NodeJS.ErrnoException) => (socketError ??= err));
  let timer: NodeJS.Timeout | undefined;
  try {
    // connectTimeout covers TCP only; a port that accepts and never speaks Redis needs its own limit.
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    await Promise.race([client.connect().then(() => client.ping()), timeout]);
    return undefined;
  } catch (err) {
    const e = socketError ?? (err as NodeJS.ErrnoException);
    return { code: e.code, message: e.message };
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

const INSTALL_HINT =
  'install Redis (apt-get install redis-server, dnf install redis, brew install redis) or set REDIS_URL to a running one';

interface PrivateServer {
  /** SIGTERM makes redis-server fsync the AOF and exit; SIGKILL only if it hangs. */
  stop(): Promise<void>;
}

async function startPrivateServer(
  url: string,
  dataDir: string,
  command: string,
  logger: Logger,
): Promise<PrivateServer> {
  const port = new URL(url).port || '6379';
  await mkdir(dataDir, { recursive: true }).catch((err: Error) => {
    throw new RedisSetupError(`cannot create the Redis data directory ${dataDir} (REDIS_DATA_DIR): ${err.message}`);
  });
  const args = ['--port', port, '--bind', '127.0.0.1', '--appendonly', 'yes', '--appendfsync', 'everysec'];
  args.push('--dir', dataDir, '--save', '', '--maxmemory-policy', 'noeviction', '--daemonize', 'no');
  logger.info({ redis: url, dataDir }, 'nothing answers at the Redis address: starting a private redis-server');

  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  // The pipes must be drained for the server's whole life, or it blocks on a full pipe.
  const keep = (d: Buffer) => (output = (output + d.toString()).slice(-2_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  let running = true;
  let stopping = false;
  const exited = new Promise<void>((r) => child.once('exit', () => ((running = false), r())));
  const failed = new Promise<never>((_, reject) => {
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') running = false;
      reject(
        new RedisSetupError(
          err.code === 'ENOENT'
            ? `no Redis at ${url} and ${command} is not installed: ${INSTALL_HINT}`
            : `cannot run ${command}: ${err.message}`,
        ),
      );
    });
    child.once('exit', (code, signal) => {
      const how = `${command} exited (${signal ?? code})`;
      reject(new RedisSetupError(`${how} while starting: ${lastLines(output)}`));
      if (!stopping) logger.error({ output: lastLines(output) }, `private ${how}`);
    });
  });
  failed.catch(() => undefined);

  const stop = async () => {
    stopping = true;
    if (!running) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), SERVER_STOP_MS);
    await exited;
    clearTimeout(timer);
  };

  const started = Date.now();
  try {
    while (await Promise.race([probe(url, DEFAULT_PROBE_MS), failed])) {
      if (Date.now() - started > SERVER_START_MS) {
        throw new RedisSetupError(
          `${command} did not answer at ${url} within ${SERVER_START_MS} ms: ${lastLines(output)}`,
        );
      }
      await Promise.race([new Promise((r) => setTimeout(r, 50)), failed]);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { stop };
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-3).join(' | ') || '(no output)';
}

const EVICTION_HELP =
  'healgate keeps its queues, approvals and audit log in Redis and they must never be evicted: ' +
  'run CONFIG SET maxmemory-policy noeviction (and CONFIG REWRITE), or set "maxmemory-policy noeviction" in redis.conf';

async function checkNoEviction(redis: Redis, url: string, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  // The client retries forever, so a server that vanished since the probe would hang start-up here.
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  let policy: string | undefined;
  try {
    policy = await Promise.race([maxmemoryPolicy(redis), timeout]);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new RedisSetupError(`cannot read maxmemory-policy from Redis at ${redactUrl(url)}: ${reason}`);
  } finally {
    clearTimeout(timer);
  }
  if (policy !== 'noeviction') {
    throw new RedisSetupError(
      `Redis at ${redactUrl(url)} has maxmemory-policy ${policy ?? '(unknown)'}; ${EVICTION_HELP}`,
    );
  }
}

/** CONFIG is often disabled or denied on managed Redis; INFO memory reports the same setting. */
async function maxmemoryPolicy(redis: Redis): Promise<string | undefined> {
  try {
    const reply: unknown = await redis.config('GET', 'maxmemory-policy');
    if (Array.isArray(reply) && typeof reply[1] === 'string') return reply[1];
  } catch {
    // fall through to INFO
  }
  const info = await redis.info('memory');
  return /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
}

/**
 * A second connection to the same Redis (BullMQ's, a blocking reader's). Its
 * errors are the main connection's, which logs them: without a listener of
 * its own, ioredis would print each one to stderr as unhandled.
 */
export function sibling(redis: Redis): Redis {
  const copy = redis.duplicate();
  copy.on('error', () => undefined);
  return copy;
}
