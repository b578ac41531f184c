import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { connectRedis, type RedisConnection } from '../../src/redis/connect.js';
import { RedisSetupError } from '../../src/redis/errors.js';
import { freePort, startRedis, type TestRedis } from '../helpers/redis.js';

type Line = { level: number; msg: string } & Record<string, unknown>;

function collectingLogger() {
  const lines: Line[] = [];
  const logger = createLogger('debug', {
    destination: { write: (s: string) => void lines.push(JSON.parse(s) as Line) },
  });
  return { lines, logger };
}

const silent = createLogger('silent');

/** Whether anything accepts TCP connections on the port. */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

async function until(check: () => boolean, what: string): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > 10_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let server: TestRedis;
let dataDir: string;
beforeAll(async () => {
  server = await startRedis();
  dataDir = await mkdtemp(join(tmpdir(), 'healgate-connect-'));
});
afterAll(async () => {
  await server.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('connectRedis with a URL', () => {
  it('connects to it with BullMQ-ready options', async () => {
    const conn = await connectRedis({ url: server.url, dataDir, logger: silent });
    try {
      expect(conn).toMatchObject({ url: server.url, privateServer: false });
      expect(conn.redis.options.maxRetriesPerRequest).toBeNull();
      await conn.redis.set('healgate:test:k', 'v');
      expect(await server.client().get('healgate:test:k')).toBe('v');
    } finally {
      await conn.close();
      await conn.close();
    }
    expect(conn.redis.status).toBe('end');
  });

  it('refuses a Redis that may evict keys, and leaves no connection behind', async () => {
    const admin = server.client();
    await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
    try {
      const attempt = connectRedis({ url: server.url, dataDir, logger: silent });
      await expect(attempt).rejects.toThrow(RedisSetupError);
      await expect(attempt).rejects.toThrow(
        /has maxmemory-policy allkeys-lru; .*must never be evicted: run CONFIG SET maxmemory-policy noeviction/,
      );
      expect(await admin.client('LIST')).not.toContain('name=healgate ');
    } finally {
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
    }
  });

  it('reads the policy from INFO when CONFIG is denied', async () => {
    const admin = server.client();
    await admin.acl('SETUSER', 'noconfig', 'on', '>pw', '~*', '&*', '+@all', '-config');
    const url = `redis://noconfig:pw@127.0.0.1:${server.port}`;
    const ok = await connectRedis({ url, dataDir, logger: silent });
    await expect(ok.redis.config('GET', 'maxmemory-policy')).rejects.toThrow(/NOPERM/);
    await ok.close();

    await admin.config('SET', 'maxmemory-policy', 'volatile-ttl');
    try {
      await expect(connectRedis({ url, dataDir, logger: silent })).rejects.toThrow(
        /Redis at redis:\/\/\*\*\*@127\.0\.0\.1:\d+ has maxmemory-policy volatile-ttl/,
      );
    } finally {
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
    }
  });

  it('names an unreachable URL, without its password', async () => {
    const port = await freePort();
    const attempt = connectRedis({ url: `redis://:hunter2@127.0.0.1:${port}`, dataDir, logger: silent });
    await expect(attempt).rejects.toThrow(RedisSetupError);
    await expect(attempt).rejects.toThrow(
      new RegExp(`^cannot reach Redis at redis://\\*\\*\\*@127\\.0\\.0\\.1:${port} \\(REDIS_URL\\): .*ECONNREFUSED`),
    );
  });

  it('gives up on a port that accepts connections but never answers', async () => {
    const mute: Server = createServer(() => undefined);
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
    const { port } = mute.address() as { port: number };
    try {
      await expect(
        connectRedis({ url: `redis://127.0.0.1:${port}`, dataDir, logger: silent, timeoutMs: 300 }),
      ).rejects.toThrow(`cannot reach Redis at redis://127.0.0.1:${port} (REDIS_URL): no answer within 300 ms`);
    } finally {
      mute.close();
    }
  });

  it('logs connection errors and reconnects after Redis comes back', async () => {
    const { lines, logger } = collectingLogger();
    const conn = await connectRedis({ url: server.url, dataDir, logger });
    try {
      await server.kill();
      await until(() => lines.some((l) => l.msg === 'redis connection error'), 'a logged connection error');
      await server.restart();
      expect(await conn.redis.ping()).toBe('PONG');
      await until(() => lines.some((l) => l.msg === 'redis reconnected'), 'a logged reconnection');
    } finally {
      await conn.close();
    }
  });
});

describe('connectRedis without a URL', () => {
  it('uses what answers at the default address, and warns that it is shared', async () => {
    const { lines, logger } = collectingLogger();
    const conn = await connectRedis({ dataDir, logger, defaultUrl: server.url });
    expect(conn).toMatchObject({ url: server.url, privateServer: false });
    expect(lines.find((l) => l.kind === 'shared')).toMatchObject({
      level: 40,
      msg: `redis: using the Redis already running at redis://***@127.0.0.1:${server.port}, shared with whatever else uses it (healgate's keys start with healgate:); set REDIS_URL to choose one`,
    });
    await conn.close();
    expect(await answers(server.port)).toBe(true);
  });

  it('starts a private redis-server with AOF under the data dir when nothing answers, and stops it on close', async () => {
    const port = await freePort();
    const dir = join(dataDir, 'private', 'redis');
    const url = `redis://127.0.0.1:${port}`;
    const { lines, logger } = collectingLogger();
    const conn: RedisConnection = await connectRedis({ dataDir: dir, logger, defaultUrl: url });
    try {
      expect(conn).toMatchObject({ url, privateServer: true });
      expect(lines.find((l) => l.kind === 'private')?.msg).toBe(
        `redis: nothing answered at ${url}: started a private redis-server there (data in ${dir}), stopped on exit`,
      );
      expect(await conn.redis.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
      expect(await conn.redis.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
      expect(await conn.redis.config('GET', 'dir')).toEqual(['dir', dir]);
      await conn.redis.set('healgate:test:private', '1');
    } finally {
      await conn.close();
    }
    expect(await answers(port)).toBe(false);
    expect(await readdir(dir)).toContain('appendonlydir');
    expect((await readdir(join(dir, 'appendonlydir'))).some((f) => f.startsWith('appendonly.aof'))).toBe(true);
  });

  it('says how to get Redis when redis-server is not installed', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const attempt = connectRedis({
      dataDir,
      logger: silent,
      defaultUrl: url,
      redisServer: 'healgate-no-such-redis-server',
    });
    await expect(attempt).rejects.toThrow(RedisSetupError);
    await expect(attempt).rejects.toThrow(
      /not installed: install Redis \(apt-get install redis-server.*or set REDIS_URL/,
    );
  });

  it('reports a server that cannot start', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    await expect(connectRedis({ dataDir, logger: silent, defaultUrl: url, redisServer: 'false' })).rejects.toThrow(
      'false exited (1) while starting: (no output)',
    );
    const file = join(dataDir, 'a-file');
    await writeFile(file, '');
    await expect(connectRedis({ dataDir: join(file, 'redis'), logger: silent, defaultUrl: url })).rejects.toThrow(
      /^cannot create the Redis data directory .*a-file\/redis \(REDIS_DATA_DIR\): ENOTDIR/,
    );
  });
});
