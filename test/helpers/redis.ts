import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { agentRules, agentUser, BOT_RULES, BOT_USER, DEFAULT_USER_RULES } from '../../src/security/acl.js';

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
  /**
   * The bot's URL (user `healgate-bot` with exactly `BOT_RULES`): for bots,
   * `healgate start` and one-shot commands. Without credentials when the
   * test brings its own users (`admin`).
   */
  readonly url: string;
  /** Same as `url`, for where naming the role reads better. */
  readonly botUrl: string;
  /**
   * The URL of host's agent (user `healgate-agent-<host>` with exactly
   * `agentRules(host)`), the user created on first use. Refused when the
   * test brings its own users.
   */
  agentUrl(host: string): Promise<string>;
  /** The test's own user (every key, every command): what `client()` logs in as. */
  readonly admin: { readonly username: string; readonly password: string };
  readonly port: number;
  readonly dir: string;
  /** A fresh client as the test's own admin user: reads and writes anything; closed by stop(). */
  client(): Redis;
  /** A fresh client as host's agent user (see `agentUrl`), for a test that writes what an agent writes; closed by stop(). */
  agentClient(host: string): Promise<Redis>;
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
  /**
   * The test brings its own users (e.g. `--aclfile` in `args`): this is the
   * one `client()` and the start-up probe log in as, and the helper makes none.
   */
  readonly admin?: { readonly username: string; readonly password: string };
  /** TLS only (no plain port): the server's certificate and key, and the CA that signed them (PEM files). */
  readonly tls?: { readonly cert: string; readonly key: string; readonly ca: string };
}

/** The test's own user on servers whose users the helper makes: everything, FLUSHALL included. */
const TEST_ADMIN = 'healgate-test-admin';

const password = () => randomBytes(16).toString('hex');

/** ACL rules as ACL SETUSER's arguments: a selector `(%W~key +sadd)` is one, spaces and all. */
const ruleWords = (rules: string) => rules.match(/\([^)]*\)|\S+/g) ?? [];

/**
 * A private redis-server for one test file: free port, its own data
 * directory, append-only file on (like production), never the machine's Redis.
 *
 * Least privilege by default, as in production (docs/security.md): the
 * default user is off, the test's own client is an admin user, `url` logs in
 * as `healgate-bot` with exactly `BOT_RULES`, and `agentUrl(host)` as
 * `healgate-agent-<host>` with exactly `agentRules(host)`. The users live in
 * an ACL file in the data directory, saved after each change, so that
 * `kill()` and `restart()` keep them. A test that passes `admin` brings its
 * own users (e.g. `--aclfile` from `healgate acl`) and gets none of these.
 */
export async function startRedis(options: RedisOptions = {}): Promise<TestRedis> {
  const port = await freePort();
  const tlsCa = options.tls ? await readFile(options.tls.ca) : undefined;
  const ownUsers = options.admin === undefined;
  const admin = options.admin ?? { username: TEST_ADMIN, password: password() };
  const auth = { ...admin, ...(tlsCa ? { tls: { ca: tlsCa } } : {}) };
  const scheme = options.tls ? 'rediss' : 'redis';
  const urlOf = (user: string, secret: string) => `${scheme}://${encodeURIComponent(user)}:${secret}@127.0.0.1:${port}`;
  const listen = options.tls
    ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', options.tls.cert]
    : ['--port', String(port)];
  if (options.tls)
    listen.push('--tls-key-file', options.tls.key, '--tls-ca-cert-file', options.tls.ca, '--tls-auth-clients', 'no');
  const dir = await mkdtemp(join(tmpdir(), 'healgate-redis-'));
  const botPassword = password();
  const aclArgs: string[] = [];
  if (ownUsers) {
    const aclFile = join(dir, 'users.acl');
    await writeFile(
      aclFile,
      [
        `user default ${DEFAULT_USER_RULES}`,
        `user ${TEST_ADMIN} on >${admin.password} ~* &* +@all`,
        `user ${BOT_USER} on >${botPassword} ${BOT_RULES}`,
        '',
      ].join('\n'),
    );
    aclArgs.push('--aclfile', aclFile);
  }
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
        ...aclArgs,
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

  const track = (c: Redis) => {
    c.on('error', () => undefined);
    clients.push(c);
    return c;
  };
  const client = () => track(new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: null, ...auth }));

  // One user per host, made once; ACL SAVE writes it to the file that a restart reads.
  const agents = new Map<string, Promise<string>>();
  const agentUrl = (host: string): Promise<string> => {
    if (!ownUsers)
      return Promise.reject(new Error("this test brings its own Redis users: name the agent's URL yourself"));
    let url = agents.get(host);
    if (!url) {
      const secret = password();
      const creating = (async () => {
        const c = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, ...auth });
        c.on('error', () => undefined);
        try {
          await c.call('ACL', 'SETUSER', agentUser(host), 'on', `>${secret}`, ...ruleWords(agentRules(host)));
          await c.call('ACL', 'SAVE');
        } finally {
          c.disconnect();
        }
        return urlOf(agentUser(host), secret);
      })();
      agents.set(host, (url = creating));
      creating.catch(() => agents.delete(host));
    }
    return url;
  };

  await launch();
  const botUrl = ownUsers ? urlOf(BOT_USER, botPassword) : `${scheme}://127.0.0.1:${port}`;
  return {
    url: botUrl,
    botUrl,
    agentUrl,
    admin,
    port,
    dir,
    client,
    agentClient: async (host) =>
      track(new Redis(await agentUrl(host), { maxRetriesPerRequest: null, ...(tlsCa ? { tls: { ca: tlsCa } } : {}) })),
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
