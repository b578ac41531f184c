import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aclFile, agentUser, BOT_USER } from '../../src/security/acl.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

// The suite's own Redis users (test/helpers/redis.ts): every bot and agent a test starts runs on them.

const REFERENCE_ADMIN = { username: 'reference-admin', password: 'reference-admin-password' };

let server: TestRedis;
/** A server loaded from what `healgate acl` writes, to compare the helper's users with. */
let reference: TestRedis;
const opened: Redis[] = [];

function login(url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 0, lazyConnect: true, retryStrategy: () => null });
  redis.on('error', () => undefined);
  opened.push(redis);
  return redis;
}

/**
 * A user as Redis holds it, without its password hash (random per server);
 * each list of rules sorted, as Redis renders them in no fixed order.
 */
async function userOf(redis: Redis, user: string): Promise<unknown> {
  const sorted = (value: unknown): unknown =>
    typeof value === 'string' ? value.split(' ').sort() : Array.isArray(value) ? value.map(sorted) : value;
  const flat = (await redis.call('ACL', 'GETUSER', user)) as unknown[];
  const fields: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[String(flat[i])] = sorted(flat[i + 1]);
  expect(fields.passwords, `${user} has a password`).toHaveLength(1);
  delete fields.passwords;
  return fields;
}

beforeAll(async () => {
  server = await startRedis();
  const dir = await mkdtemp(join(tmpdir(), 'healgate-suite-users-'));
  const file = join(dir, 'users.acl');
  const generated = aclFile([
    { name: 'bot', password: 'b'.repeat(16) },
    { name: 'h-1', password: 'h'.repeat(16) },
  ]);
  const { username, password } = REFERENCE_ADMIN;
  await writeFile(file, `${generated}user ${username} on >${password} ~* &* +@all\n`);
  reference = await startRedis({ args: ['--aclfile', file], admin: REFERENCE_ADMIN });
});

afterAll(async () => {
  opened.forEach((r) => r.disconnect());
  await server?.stop();
  await reference?.stop();
});

describe("the test Redis's users", () => {
  it('logs bots in as healgate-bot and each agent as its own user, with what `healgate acl` grants them', async () => {
    expect(server.url).toBe(server.botUrl);
    expect(await login(server.botUrl).call('ACL', 'WHOAMI')).toBe(BOT_USER);
    const url = await server.agentUrl('h-1');
    expect(await server.agentUrl('h-1')).toBe(url);
    expect(await login(url).call('ACL', 'WHOAMI')).toBe(agentUser('h-1'));
    expect(new URL(url).password.length).toBeGreaterThanOrEqual(16);
    expect(new URL(server.botUrl).password.length).toBeGreaterThanOrEqual(16);

    const admin = server.client();
    const same = reference.client();
    expect(await userOf(admin, BOT_USER)).toEqual(await userOf(same, BOT_USER));
    expect(await userOf(admin, agentUser('h-1'))).toEqual(await userOf(same, agentUser('h-1')));
  });

  it('lets nothing in without a user, and leaves the test its own admin client', async () => {
    const anonymous = new Redis({ port: server.port, maxRetriesPerRequest: 0, lazyConnect: true });
    anonymous.on('error', () => undefined);
    opened.push(anonymous);
    await expect(anonymous.get('healgate:anything')).rejects.toThrow(/NOAUTH/);
    const admin = server.client();
    expect(await admin.call('ACL', 'WHOAMI')).toBe(server.admin.username);
    await admin.set('healgate:test:admin', '1');
    await expect(login(server.botUrl).flushall()).rejects.toThrow(/NOPERM/);
    await expect(login(await server.agentUrl('h-1')).get('healgate:test:admin')).rejects.toThrow(/NOPERM/);
  });

  it('keeps its users across a crash and a restart', async () => {
    const agent = await server.agentUrl('h-2');
    const before = await userOf(server.client(), agentUser('h-2'));
    await server.kill();
    await server.restart();
    expect(await login(server.botUrl).call('ACL', 'WHOAMI')).toBe(BOT_USER);
    expect(await login(agent).call('ACL', 'WHOAMI')).toBe(agentUser('h-2'));
    expect(await login(await server.agentUrl('h-1')).call('ACL', 'WHOAMI')).toBe(agentUser('h-1'));
    expect(await userOf(server.client(), agentUser('h-2'))).toEqual(before);
  });
});

describe('a Redis with the users `healgate acl` writes', () => {
  it('keeps what was written in transactions and scripts across a crash, as the append-only file is replayed', async () => {
    // Redis replays MULTI/EXEC (and a script's effects, which it logs as one) as the default user and checks
    // that user's permissions: a default user without any silently dropped them (redis/redis#14541).
    const bot = login(`redis://${BOT_USER}:${'b'.repeat(16)}@127.0.0.1:${reference.port}`);
    await bot.multi().set('healgate:test:multi', '1').hset('healgate:test:hash', 'f', 'v').exec();
    const script = "redis.call('SET', KEYS[1], ARGV[1]) redis.call('SET', KEYS[2], ARGV[1]) return 1";
    await bot.eval(script, 2, 'healgate:test:script', 'healgate:test:script-2', '2');
    const agent = login(`redis://${agentUser('h-1')}:${'h'.repeat(16)}@127.0.0.1:${reference.port}`);
    await agent.multi().hset('healgate:agent:h-1', 'last_seen', '3').exec();
    await reference.kill();
    await reference.restart();
    const admin = reference.client();
    expect(await admin.mget('healgate:test:multi', 'healgate:test:script', 'healgate:test:script-2')).toEqual([
      '1',
      '2',
      '2',
    ]);
    expect(await admin.hget('healgate:test:hash', 'f')).toBe('v');
    expect(await admin.hget('healgate:agent:h-1', 'last_seen')).toBe('3');
    // And nobody logs in as the default user.
    const anonymous = new Redis({ port: reference.port, maxRetriesPerRequest: 0, lazyConnect: true });
    anonymous.on('error', () => undefined);
    opened.push(anonymous);
    await expect(anonymous.get('healgate:test:multi')).rejects.toThrow(/NOAUTH/);
    const [, flags, , passwords] = (await admin.call('ACL', 'GETUSER', 'default')) as [string, string[], string, []];
    expect(flags).toContain('off');
    expect(flags).not.toContain('nopass');
    expect(passwords).toEqual([]);
  });
});
