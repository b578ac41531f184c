import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
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

export interface RedisOptions {
  /** More redis-server arguments (e.g. `--aclfile`). */
  readonly args?: readonly string[];
  /** The user that `client()` and the start-up probe log in as, when the default user is off. */
  readonly admin?: { readonly username: string; readonly password: string };
  /** TLS only (no plain port): the server's certificate and key, and the CA that signed them (PEM files). */
  readonly tls?: { readonly cert: string; readonly key: string; readonly ca: string };
}

/**
 * A private redis-server for one test file: free port, its own data
 * directory, append-only file on (like production), never the machine's Redis.
 */
export async function startRedis(options: RedisOptions = {}): Promise<TestRedis> {
  const port = await freePort();
  const tlsCa = options.tls ? await readFile(options.tls.ca) : undefined;
  const auth = { ...options.admin, ...(tlsCa ? { tls: { ca: tlsCa } } : {}) };
  const listen = options.tls
    ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', options.tls.cert]
    : ['--port', String(port)];
  if (options.tls)
    listen.push('--tls-key-file', options.tls.key, '--tls-ca-cert-file', options.tls.ca, '--tls-auth-clients', 'no');
  const dir = await mkdtemp(join(tmpdir(), 'healgate-redis-'));
  const clients: Redis[] = [];
  let proc: ChildProcess | undefined;
  let frozen = false;

  const launch = async () => {
    proc = spawn(
      'redis-server',
      [
        ...listen,
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
        ...(options.args ?? []),
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
        ...auth,
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
    url: `${options.tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`,
    port,
    dir,
    client() {
      const c = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: null, ...auth });
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
