import { once } from 'node:events';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../src/redis/keys.js';
import { sandbox, spawnAgent, type Sandbox } from '../helpers/agent.js';
import { eventually } from '../helpers/bot.js';
import { startDns, type TestDns } from '../helpers/dns.js';
import type { RunningProcess } from '../helpers/process.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

let server: TestRedis;
let redis: Redis;
let dns: TestDns;
let box: Sandbox;
const started: RunningProcess[] = [];

beforeAll(async () => {
  [server, dns] = await Promise.all([startRedis(), startDns()]);
  redis = server.client();
  box = await sandbox(dns.port);
});

afterAll(async () => {
  await Promise.all(started.map((p) => p.stop('SIGKILL')));
  await dns?.close();
  await server?.stop();
});

/** An agent for `host` that has started: it has its host and polls. */
async function readyAgent(host: string): Promise<RunningProcess> {
  const proc = await spawnAgent(server, host, box.policyFile);
  started.push(proc);
  await eventually(
    () => {
      if (proc.child.exitCode !== null || proc.child.signalCode !== null)
        throw new Error(`the agent exited before it was ready:\n${proc.output()}`);
      return proc.output().includes('healgate agent ready') ? true : undefined;
    },
    30_000,
    'the agent to be ready',
  );
  return proc;
}

async function exitCode(proc: RunningProcess): Promise<number | null> {
  if (proc.child.exitCode !== null) return proc.child.exitCode;
  const [code] = (await once(proc.child, 'exit')) as [number | null];
  return code;
}

const leaseHolder = async (host: string) => JSON.parse((await redis.get(keys.agentLease(host))) ?? 'null') as unknown;

describe('one agent per HOST_ID', () => {
  it('refuses a second agent with the same HOST_ID, and the first keeps its host', async () => {
    const first = await readyAgent('dup-1');
    const second = await spawnAgent(server, 'dup-1', box.policyFile);
    started.push(second);

    expect(await exitCode(second)).toBe(2);
    expect(second.output()).toContain(
      `healgate: another agent is running as HOST_ID=dup-1 (pid ${first.child.pid} on ${hostname()}, since `,
    );
    expect(second.output()).toContain('give every host its own HOST_ID');
    expect(first.child.exitCode).toBeNull();
    expect(await leaseHolder('dup-1')).toMatchObject({ pid: first.child.pid });
  });

  it('hands the host on at once when stopped, and stops when another agent takes it', async () => {
    const first = await readyAgent('dup-2');
    expect(await first.stop('SIGTERM')).toBe(0);
    expect(await redis.exists(keys.agentLease('dup-2'))).toBe(0);

    const next = await readyAgent('dup-2');
    expect(next.output()).not.toContain('waiting for its lease to lapse');
    expect(await leaseHolder('dup-2')).toMatchObject({ pid: next.child.pid });

    // As if a clone took the host while this agent stalled past its lease.
    const clone = { instance: 'clone', pid: 4242, machine: 'clone-vm', since: new Date().toISOString() };
    await redis.set(keys.agentLease('dup-2'), JSON.stringify(clone), 'PX', 10_000);
    expect(await exitCode(next)).toBe(2);
    expect(next.output()).toContain('another agent took this host: stopping');
    expect(next.output()).toContain('pid 4242 on clone-vm');
  });

  it('stops cleanly on a SIGTERM that comes while it waits for its host, and leaves the host free', async () => {
    const gone = { instance: 'gone', pid: 4343, machine: 'old-vm', since: new Date().toISOString() };
    await redis.set(keys.agentLease('dup-3'), JSON.stringify(gone), 'PX', 2500);
    const agent = await spawnAgent(server, 'dup-3', box.policyFile);
    started.push(agent);
    await eventually(() => (agent.output().includes('waiting for its lease to lapse') ? true : undefined));

    expect(await agent.stop('SIGTERM')).toBe(0);
    expect(agent.output()).toContain('draining in-flight jobs, then exiting');
    expect(await redis.exists(keys.agentLease('dup-3'))).toBe(0);
  });
});
