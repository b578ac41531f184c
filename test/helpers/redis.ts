import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/** A free loopback TCP port, as the kernel hands it out. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export interface TestRedis {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** A fresh client; closed by stop(). */
  client(): Redis;
  /** SIGKILL, as a crash: unsynced data may be lost. */
  kill(): Promise<void>;
  /** Start again on the same port and data directory (the append-only file survives). */
  restart(): Promise<void>;
  /** SIGSTOP: connections stay open and nothing is answered until `thaw`. */
  freeze(): void;
  /** SIGCONT: Redis runs what it was sent meanwhile. */
  thaw(): void;
  stop(): Promise<void>;
}

/**
 * A private redis-server for one test file: free port, its own data
 * directory, append-only file on (like production), never the machine's Redis.
 */
export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'healgate-redis-'));
  const clients: Redis[] = [];
  let proc: ChildProcess | undefined;
  let frozen = false;

  const launch = async () => {
    proc = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'everysec',
        '--save',
        '',
        '--maxmemory-policy',
        'noeviction',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let log = '';
    proc.stdout?.on('data', (d: Buffer) => (log += d.toString()));
    const started = Date.now();
    for (;;) {
      const probe = new Redis({
        port,
        host: '127.0.0.1',
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        await probe.ping();
        probe.disconnect();
        return;
      } catch {
        probe.disconnect();
        if (Date.now() - started > 10_000) throw new Error(`redis-server did not start on ${port}:\n${log}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    }
  };

  const exit = (signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return resolve();
      proc.once('exit', () => resolve());
      proc.kill(signal);
    });

  const thaw = () => {
    if (frozen) proc?.kill('SIGCONT');
    frozen = false;
  };

  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    client() {
      const c = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: null });
      c.on('error', () => undefined);
      clients.push(c);
      return c;
    },
    kill: () => exit('SIGKILL'),
    restart: launch,
    freeze() {
      frozen = proc?.kill('SIGSTOP') === true;
    },
    thaw,
    async stop() {
      thaw();
      clients.forEach((c) => c.disconnect());
      await exit('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
  };
}
