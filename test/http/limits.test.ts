import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionCap, HTTP_LIMITS } from '../../src/http/limits.js';
import { snapshot } from '../helpers/core.js';
import { eventually } from '../helpers/bot.js';
import { spawnHealgate, type RunningProcess } from '../helpers/process.js';
import { freePort, startRedis, type TestRedis } from '../helpers/redis.js';

/** Room for a loaded machine: Node's own default (60 s, checked every 30 s) still fails the wait. */
const CUT_OFF_WITHIN_MS = HTTP_LIMITS.requestTimeoutMs + 15_000;

/** The bot runs with this many descriptors at most, as under a container's or systemd's limit. */
const DESCRIPTORS = 2048;
const CAP = connectionCap(DESCRIPTORS);

let redis: TestRedis;
let bot: RunningProcess;
let port: number;
let url: string;

beforeAll(async () => {
  redis = await startRedis();
  port = await freePort();
  // prlimit sets the limit and execs the bot: nothing goes through a shell.
  bot = spawnHealgate(
    ['bot'],
    { REDIS_URL: redis.botUrl, HTTP_PORT: String(port), LOG_LEVEL: 'warn' },
    [],
    ['prlimit', `--nofile=${DESCRIPTORS}:${DESCRIPTORS}`, '--'],
  );
  url = `http://127.0.0.1:${port}`;
  await eventually(
    async () => ((await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200 ? true : undefined),
    30_000,
    'the bot to be ready',
  );
}, 60_000);

afterAll(async () => {
  await bot?.stop('SIGKILL');
  await redis?.stop();
});

interface SlowClient {
  readonly socket: Socket;
  closedAt?: number;
}

/**
 * `count` connections that never finish a request: half send their headers
 * a byte at a time, half send headers and then a body that never completes.
 */
async function slowClients(count: number): Promise<{ clients: SlowClient[]; end(): void }> {
  const head = `POST /v1/metrics HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\n`;
  const clients: SlowClient[] = [];
  const tricklers: { socket: Socket; at: number }[] = [];
  for (let start = 0; start < count; start += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, count - start) }, (_, k) => {
        const i = start + k;
        return new Promise<void>((resolve) => {
          const socket = connect(port, '127.0.0.1');
          const client: SlowClient = { socket };
          clients.push(client);
          socket.on('error', () => undefined);
          // Read what the bot says (its 408), or its closing is never seen.
          socket.resume();
          socket.once('close', () => ((client.closedAt = Date.now()), resolve()));
          socket.once('connect', () => {
            if (i % 2 === 0) tricklers.push({ socket, at: 0 });
            else socket.write(`${head}content-length: 1000\r\n\r\n{"host":`);
            resolve();
          });
        });
      }),
    );
  }
  const trickle = setInterval(() => {
    for (const t of tricklers) if (!t.socket.destroyed) t.socket.write(head[t.at++ % head.length]!);
  }, 500);
  return {
    clients,
    end() {
      clearInterval(trickle);
      clients.forEach((c) => c.socket.destroy());
    },
  };
}

async function ingestDecided(host: string): Promise<void> {
  const posted = await fetch(`${url}/v1/metrics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(snapshot({ host })),
  });
  expect(posted.status).toBe(202);
  await eventually(async () => ((await fetch(`${url}/v1/hosts/${host}`)).status === 200 ? true : undefined));
}

describe('slow clients', () => {
  it('1,000 of them held open: /healthz and ingest still answer, and each is cut off by its timeout', async () => {
    const slow = await slowClients(1000);
    try {
      const opened = Date.now();
      expect(slow.clients.filter((c) => c.closedAt !== undefined)).toHaveLength(0);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      await ingestDecided('beside-slow-clients');
      await eventually(
        () => (slow.clients.every((c) => c.closedAt !== undefined) ? true : undefined),
        CUT_OFF_WITHIN_MS,
        'the bot to close every slow connection',
      );
      const longest = Math.max(...slow.clients.map((c) => c.closedAt! - opened));
      expect(longest).toBeLessThan(CUT_OFF_WITHIN_MS);
    } finally {
      slow.end();
    }
  });

  it(`more than the cap (${CAP} under ${DESCRIPTORS} descriptors): the excess is refused, the bot keeps its descriptors and recovers`, async () => {
    const slow = await slowClients(CAP + 200);
    try {
      // Refused at once rather than left to exhaust the descriptors the bot's Redis connections need.
      await eventually(
        () => (slow.clients.filter((c) => c.closedAt !== undefined).length >= 200 ? true : undefined),
        5_000,
        'connections over the cap to be closed',
      );
      await eventually(
        () => (slow.clients.every((c) => c.closedAt !== undefined) ? true : undefined),
        CUT_OFF_WITHIN_MS,
        'the bot to close every slow connection',
      );
    } finally {
      slow.end();
    }
    expect(bot.child.exitCode).toBeNull();
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    await ingestDecided('after-slow-clients');
    expect(bot.output()).not.toMatch(/EMFILE/);
  });
});
