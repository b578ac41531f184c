import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../src/redis/keys.js';
import { LuaScript } from '../../src/redis/lua.js';
import { files, firstSnapshot, runMarker, fillScratch, sandbox, spawnAgent, type Sandbox } from '../helpers/agent.js';
import { eventually, startTestBot, type TestBot } from '../helpers/bot.js';
import { runCli } from '../helpers/cli.js';
import { snapshot } from '../helpers/core.js';
import { startDns, type TestDns } from '../helpers/dns.js';
import { resultOf } from '../helpers/events.js';
import type { RunningProcess } from '../helpers/process.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

const ADMIN = { username: 'test-admin', password: randomBytes(12).toString('hex') };
const passwords = {
  bot: randomBytes(12).toString('hex'),
  'acl-1': randomBytes(12).toString('hex'),
  'acl-2': randomBytes(12).toString('hex'),
};

let server: TestRedis;
let dns: TestDns;
let box: Sandbox;
let bot: TestBot;
let agent: RunningProcess;
let intruder: Redis;

const url = (user: string, password: string) => `redis://${user}:${password}@127.0.0.1:${server.port}`;
const botUrl = () => url('healgate-bot', passwords.bot);
const agentUrl = (host: 'acl-1' | 'acl-2') => url(`healgate-agent-${host}`, passwords[host]);

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'healgate-acl-'));
  const passwordFile = join(dir, 'passwords');
  await writeFile(
    passwordFile,
    Object.entries(passwords)
      .map(([name, pw]) => `${name} ${pw}`)
      .join('\n'),
  );
  const acl = await runCli(['acl', '--passwords', passwordFile]);
  expect(acl.code, acl.stderr).toBe(0);
  expect(acl.stdout).not.toContain(passwords.bot);
  // The test's own view of Redis, beside what `healgate acl` wrote.
  const aclFile = join(dir, 'users.acl');
  await writeFile(aclFile, `${acl.stdout}user ${ADMIN.username} on >${ADMIN.password} ~* &* +@all\n`);
  [server, dns] = await Promise.all([startRedis({ args: ['--aclfile', aclFile], admin: ADMIN }), startDns()]);
  box = await sandbox(dns.port);
  bot = await startTestBot(server, { REDIS_URL: botUrl(), POLICY_FILE: box.policyFile, EXECUTION_MODE: 'live' });
  const started = Date.now();
  agent = await spawnAgent(server, 'acl-1', box.policyFile, { REDIS_URL: agentUrl('acl-1') });
  const redis = server.client();
  await firstSnapshot(redis, 'acl-1', started, agent);
  intruder = new Redis(agentUrl('acl-1'), { maxRetriesPerRequest: 0 });
});

afterAll(async () => {
  intruder?.disconnect();
  await agent?.stop('SIGKILL');
  await bot?.close();
  await dns?.close();
  await server?.stop();
});

describe('Redis users from `healgate acl`', () => {
  it("refuse an agent's user everything that is not its own host's", async () => {
    const refused = async (what: string, command: () => Promise<unknown>) =>
      expect(command(), what).rejects.toThrow(/NOPERM/);
    const decide = await LuaScript.load('approval-decide');
    // Approvals, audit, events, incidents, the fleet's bookkeeping.
    await refused('approve', () => intruder.hset(keys.approval('apr-forged'), 'status', 'approved'));
    await refused('approval script', () =>
      decide.run(intruder, [keys.approval('apr-x'), keys.approvalsPending, keys.approvalsToEnqueue], ['approved']),
    );
    await refused('audit', () => intruder.xadd('healgate:audit', '*', 'e', '{}'));
    await refused('audit head', () => intruder.set('healgate:audit:head', '0'.repeat(64)));
    await refused('events', () => intruder.xadd(keys.events, '*', 'type', 'action.result', 'event', '{}'));
    await refused('own host state', () => intruder.hset(keys.host('acl-1'), 'snapshot', '{}'));
    await refused('incident', () => intruder.hset(keys.hostIncidents('acl-1'), 'disk_usage', 'x'));
    await refused('in-flight heals', () => intruder.zrem(keys.autoHealing, 'acl-2|job'));
    await refused('agents index', () => intruder.zadd(keys.agents, Date.now(), 'acl-2'));
    await refused('ingest queue', () => intruder.lpush('bull:healgate-ingest:wait', 'x'));
    // Another host's queue and state.
    await refused("other host's queue", () => intruder.lpush('bull:healgate-actions-acl-2:wait', 'x'));
    await refused("other host's queue read", () => intruder.hgetall('bull:healgate-actions-acl-2:meta'));
    await refused("other host's heartbeat", () => intruder.hset(keys.agent('acl-2'), 'last_seen', '1'));
    await refused("other host's reports", () => intruder.xadd(keys.agentReports('acl-2'), '*', 'id', 'x'));
    await refused("other host's lease", () => intruder.get(keys.agentLease('acl-2')));
    // Shared keys it may only add its own name to.
    await refused('forget reporters', () => intruder.del(keys.reporters));
    await refused('list reporters', () => intruder.smembers(keys.reporters));
    // Whole-server commands.
    await refused('FLUSHALL', () => intruder.flushall());
    await refused('FLUSHDB', () => intruder.flushdb());
    await refused('CONFIG SET', () => intruder.config('SET', 'appendonly', 'no'));
    await refused('SCRIPT FLUSH', () => intruder.script('FLUSH'));
    await refused('KEYS', () => intruder.keys('*'));
    await refused('SCAN', () => intruder.scan('0'));
    await refused('ACL SETUSER', () => intruder.call('ACL', 'SETUSER', 'healgate-agent-acl-1', '+@all'));
    await refused('SHUTDOWN', () => intruder.call('SHUTDOWN', 'NOSAVE'));
    // What it may do: its own keys.
    expect(await intruder.call('ACL', 'WHOAMI')).toBe('healgate-agent-acl-1');
    expect(await intruder.sadd(keys.reporters, 'acl-1')).toBe(0);
    expect(await server.client().dbsize()).toBeGreaterThan(0);
  });

  it('let a real agent do its whole job under its own user: poll, action, verify, diagnose', async () => {
    const redis = server.client();
    expect(await bot.connection.redis.call('ACL', 'WHOAMI')).toBe('healgate-bot');
    // An action job, approved the way the bot enqueues one.
    const marker = await runMarker(server, box, 'acl-1', 'acl-job');
    expect(marker.result).toMatchObject({ outcome: 'success' });
    expect(marker.files).toHaveLength(1);

    // A disk breach: the bot auto-heals, the agent cleans and re-measures, the bot verifies and resolves.
    await fillScratch(box.scratch, 2, 1);
    await bot.request('/v1/metrics', { body: snapshot({ host: 'acl-1', disk_usage: 95, dns_latency_ms: 5 }) });
    const incident = await eventually(
      async () => (await redis.hget(keys.hostIncidents('acl-1'), 'disk_usage')) ?? undefined,
    );
    const healed = await eventually(
      () => resultOf(redis, `${incident}.disk_cleanup`),
      30_000,
      `the cleanup\n${agent.output()}`,
    );
    expect(healed).toMatchObject({ outcome: 'success', verify: { signal: 'disk_usage', before: 95, recovered: true } });
    expect(await files(box.scratch)).toEqual(['new-0.log']);
    await eventually(async () => ((await redis.hget(keys.hostIncidents('acl-1'), 'disk_usage')) ? undefined : true));

    const diagnosis = await bot.chat.command('diagnose', 'acl-1');
    expect(diagnosis).toMatchObject({ kind: 'diagnose', diagnosis: { host: 'acl-1', fresh: true } });
    expect(agent.output()).not.toMatch(/NOPERM/);
  });

  it("refuse to start the bot or an agent with another role's user", async () => {
    const env = { POLICY_FILE: box.policyFile, LOG_LEVEL: 'silent', POLL_INTERVAL: '1h' };
    const [asBot, asOther] = await Promise.all([
      runCli(['agent'], { env: { ...env, HOST_ID: 'acl-1', REDIS_URL: botUrl() } }),
      runCli(['agent'], { env: { ...env, HOST_ID: 'acl-1', REDIS_URL: agentUrl('acl-2') } }),
    ]);
    expect(asBot.code).toBe(2);
    expect(asBot.stderr).toContain(
      "REDIS_URL logs in as healgate-bot: an agent must not hold the bot's password; run it as healgate-agent-acl-1",
    );
    expect(asOther.code).toBe(2);
    expect(asOther.stderr).toContain(
      "REDIS_URL logs in as healgate-agent-acl-2, another host's Redis user: HOST_ID=acl-1 needs healgate-agent-acl-1",
    );
    await expect(startTestBot(server, { REDIS_URL: agentUrl('acl-2') })).rejects.toThrow(
      "REDIS_URL logs in as healgate-agent-acl-2, an agent's Redis user: the bot must run as healgate-bot",
    );
  });

  it('are not written from a passwords file with a bad line: every problem is named, nothing printed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'healgate-acl-bad-'));
    const file = join(dir, 'passwords');
    await writeFile(
      file,
      `# fleet\nbot short\nweb_1:x ${'p'.repeat(20)}\nweb-2 ${'p'.repeat(20)}\nweb-2 ${'q'.repeat(20)}\n`,
    );
    const result = await runCli(['acl', '--passwords', file]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('line 2: the password of bot is shorter than 16 characters');
    expect(result.stderr).toContain('line 3: "web_1:x" is neither bot nor a host name');
    expect(result.stderr).toContain('line 5: web-2 is listed twice');
  });
});
