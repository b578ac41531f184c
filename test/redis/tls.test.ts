import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstSnapshot, runMarker, sandbox, spawnAgent, type Sandbox } from '../helpers/agent.js';
import { startTestBot, type TestBot } from '../helpers/bot.js';
import { runCli } from '../helpers/cli.js';
import { startDns, type TestDns } from '../helpers/dns.js';
import type { RunningProcess } from '../helpers/process.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

const openssl = (dir: string, args: string[]) => promisify(execFile)('openssl', args, { cwd: dir });

/** A CA and a server certificate for 127.0.0.1 that it signed, made here for this test alone. */
async function certificates(): Promise<{ dir: string; ca: string; cert: string; key: string; otherCa: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'healgate-tls-'));
  const selfSigned = (name: string, subject: string) =>
    openssl(
      dir,
      ['req', '-x509', '-newkey', 'ed25519', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`].concat([
        '-days',
        '1',
        '-subj',
        subject,
      ]),
    );
  await selfSigned('ca', '/CN=healgate test CA');
  await selfSigned('other', '/CN=another CA');
  await openssl(dir, [
    'req',
    '-newkey',
    'ed25519',
    '-nodes',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
    '-subj',
    '/CN=127.0.0.1',
  ]);
  await writeFile(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  await openssl(dir, [
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '1',
    '-extfile',
    'san.ext',
  ]);
  return {
    dir,
    ca: join(dir, 'ca.crt'),
    cert: join(dir, 'server.crt'),
    key: join(dir, 'server.key'),
    otherCa: join(dir, 'other.crt'),
  };
}

let certs: Awaited<ReturnType<typeof certificates>>;
let server: TestRedis;
let redis: Redis;
let dns: TestDns;
let box: Sandbox;
let bot: TestBot;
let agent: RunningProcess;

beforeAll(async () => {
  certs = await certificates();
  [server, dns] = await Promise.all([startRedis({ tls: certs }), startDns()]);
  redis = server.client();
  box = await sandbox(dns.port);
});

afterAll(async () => {
  await agent?.stop('SIGKILL');
  await bot?.close();
  await dns?.close();
  await server?.stop();
});

describe('Redis over TLS (rediss:// and REDIS_TLS_CA_FILE)', () => {
  it('carries the bot and a real agent: snapshots in, an action out', async () => {
    expect(server.url).toMatch(/^rediss:\/\//);
    const tls = { REDIS_TLS_CA_FILE: certs.ca };
    bot = await startTestBot(server, {
      ...tls,
      REDIS_URL: server.botUrl,
      POLICY_FILE: box.policyFile,
      EXECUTION_MODE: 'live',
    });
    const started = Date.now();
    agent = await spawnAgent(server, 'tls-1', box.policyFile, { ...tls, REDIS_URL: await server.agentUrl('tls-1') });
    await firstSnapshot(redis, 'tls-1', started, agent);
    const marker = await runMarker(server, box, 'tls-1', 'tls-job');
    expect(marker.result).toMatchObject({ outcome: 'success' });
    expect(marker.files).toHaveLength(1);
  });

  it('refuses a server whose certificate the configured CA did not sign, and a CA file that is not there', async () => {
    const env = { REDIS_URL: await server.agentUrl('tls-2'), LOG_LEVEL: 'silent', HOST_ID: 'tls-2' };
    const [wrongCa, missing] = await Promise.all([
      runCli(['agent'], { env: { ...env, REDIS_TLS_CA_FILE: certs.otherCa } }),
      runCli(['agent'], { env: { ...env, REDIS_TLS_CA_FILE: join(certs.dir, 'nope.crt') } }),
    ]);
    expect(wrongCa.code).toBe(2);
    expect(wrongCa.stderr).toMatch(
      /cannot reach Redis at rediss:\/\/\*\*\*@127\.0\.0\.1:\d+ \(REDIS_URL\): .*certificate/i,
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(
      `cannot read the Redis CA file ${join(certs.dir, 'nope.crt')} (REDIS_TLS_CA_FILE)`,
    );
  });
});
