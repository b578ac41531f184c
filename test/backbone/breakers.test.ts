import { afterEach, describe, expect, it } from 'vitest';
import { snapshot } from '../helpers/core.js';
import { eventually, policyFile, startTestBot, type TestBot } from '../helpers/bot.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { spawnAgent } from '../helpers/agent.js';
import type { RunningProcess } from '../helpers/process.js';
import { keys } from '../../src/redis/keys.js';

// The default policy's limits: at most 5 hosts auto-healing fleet-wide, 3 auto-heals per host per hour.
const FLEET_MAX = 5;

let redis: TestRedis | undefined;
let bots: TestBot[] = [];
let agent: RunningProcess | undefined;

afterEach(async () => {
  await agent?.stop('SIGKILL');
  agent = undefined;
  await Promise.all(bots.map((b) => b.close()));
  bots = [];
  await redis?.stop();
  redis = undefined;
});

async function twoReplicas(env: Record<string, string> = {}): Promise<TestRedis> {
  redis = await startRedis();
  bots = [await startTestBot(redis, env), await startTestBot(redis, env)];
  return redis;
}

/** Hosts holding a fleet slot right now (each slot is `host|job key`, scored by its deadline). */
async function hostsHealing(r: TestRedis): Promise<number> {
  const members = await r.client().zrangebyscore(keys.autoHealing, Date.now(), '+inf');
  return new Set(members.map((m) => m.split('|')[0])).size;
}

/** Samples `hostsHealing` every 50 ms until stopped; the largest count seen. */
function sampleHealing(r: TestRedis): { stop(): Promise<number> } {
  let max = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      max = Math.max(max, await hostsHealing(r));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return Math.max(max, await hostsHealing(r));
    },
  };
}

async function auditTypes(r: TestRedis): Promise<string[]> {
  const entries = (await r.client().xrange('healgate:audit', '-', '+')) as [string, string[]][];
  return entries.map(([, f]) => (JSON.parse(f[f.indexOf('e') + 1]!) as { type: string }).type);
}

async function storm(hosts: readonly string[], asOneRequest: boolean): Promise<void> {
  const body = hosts.map((host) => snapshot({ host, disk_usage: 97 }));
  const post = (b: TestBot, payload: unknown) => b.request('/v1/metrics', { body: payload });
  const answers = asOneRequest
    ? [await post(bots[0]!, body)]
    : await Promise.all(body.map((s, i) => post(bots[i % 2]!, s)));
  expect(answers.every((a) => a.status === 202)).toBe(true);
}

describe('the fleet breaker under a storm, two replicas on one Redis', () => {
  for (const size of [40, 400])
    for (const asOneRequest of [true, false])
      it(`${size} hosts ${asOneRequest ? 'in one request' : 'as one request each, concurrently'}: never more than ${FLEET_MAX} healing`, async () => {
        const r = await twoReplicas();
        const hosts = Array.from({ length: size }, (_, i) => `storm-${i}`);
        const sampler = sampleHealing(r);
        await storm(hosts, asOneRequest);
        const client = r.client();
        // Every host decided: its breach is either healing or waiting for a human.
        const pending = await eventually(
          async () => {
            const n = await client.zcard(keys.approvalsPending);
            return n === size - FLEET_MAX ? n : undefined;
          },
          60_000,
          `${size - FLEET_MAX} held hosts`,
        );
        expect(await sampler.stop()).toBeLessThanOrEqual(FLEET_MAX);
        expect(pending).toBe(size - FLEET_MAX);
        expect(await hostsHealing(r)).toBe(FLEET_MAX);

        const approvals = await bots[0]!.approvals.getMany(await client.zrange(keys.approvalsPending, 0, -1));
        // Each held decision says which breaker held it, with the count its reservation saw.
        for (const a of approvals) {
          expect(a?.decision.rule).toBe('breaker_fleet');
          expect(a?.reasons.at(-1)).toBe(
            `circuit breaker: ${FLEET_MAX} other hosts are auto-healing now (max ${FLEET_MAX})`,
          );
        }
        const types = await auditTypes(r);
        expect(types.filter((t) => t === 'action.enqueued')).toHaveLength(FLEET_MAX);
        expect(types.filter((t) => t === 'breaker.tripped')).toHaveLength(1);
      });
});

describe('the per-host breaker', () => {
  it('counts the same host twice in one batch twice', async () => {
    // No cooldown in the way: each new breach of the host is a new auto-heal the hourly limit counts.
    const r = await twoReplicas({
      POLICY_FILE: await policyFile((y) =>
        y.replace(
          '    cooldown: 30m\n    verify: { signal: disk_usage',
          '    cooldown: 1ms\n    verify: { signal: disk_usage',
        ),
      ),
    });
    const flapping = [97, 20, 97, 20, 97, 20, 97].map((disk_usage) => snapshot({ host: 'flappy', disk_usage }));
    expect((await bots[0]!.request('/v1/metrics', { body: flapping })).status).toBe(202);
    const client = r.client();
    const approvals = await eventually(async () => {
      const ids = await client.zrange(keys.approvalsPending, 0, -1);
      return ids.length > 0 ? bots[0]!.approvals.getMany(ids) : undefined;
    }, 20_000);
    expect(approvals).toHaveLength(1);
    expect(approvals[0]?.decision.rule).toBe('breaker_host');
    expect(approvals[0]?.reasons.at(-1)).toBe('circuit breaker: 3 auto-heals on flappy in the last hour (max 3)');
    expect((await auditTypes(r)).filter((t) => t === 'action.enqueued')).toHaveLength(3);
  });
});

describe('slots', () => {
  it('come back when the agent reports, or at the deadline when no agent takes the job', async () => {
    const policy = await policyFile((y) =>
      y.replace('    timeout: 2m\n    cooldown: 30m', '    timeout: 2s\n    cooldown: 30m'),
    );
    const r = await twoReplicas({ POLICY_FILE: policy });
    const client = r.client();
    // Only back-0 has an agent.
    agent = await spawnAgent(r, 'back-0', policy, { EXECUTION_MODE: 'dry-run' });
    await eventually(
      async () => ((await client.zscore(keys.agents, 'back-0')) ? true : undefined),
      30_000,
      `the agent\n${agent.output()}`,
    );
    const sampler = sampleHealing(r);
    const hosts = Array.from({ length: 8 }, (_, i) => `back-${i}`);
    await storm(hosts, true);

    // Settled: every host without an agent is held, by the breaker or, withdrawn at its deadline, for want of an agent.
    const settled = await eventually(
      async () => {
        const types = await auditTypes(r);
        const enqueued = types.filter((t) => t === 'action.enqueued').length;
        const withdrawn = types.filter((t) => t === 'action.withdrawn').length;
        const list = await bots[0]!.approvals.getMany(await client.zrange(keys.approvalsPending, 0, -1));
        const noAgent = list.filter((a) => a?.decision.rule === 'no_agent');
        const done = list.length === 8 - 1 && noAgent.length === withdrawn && enqueued === withdrawn + 1;
        return done && (await hostsHealing(r)) === 0 ? { enqueued, list, noAgent } : undefined;
      },
      30_000,
      'every slot back',
    );
    expect(await sampler.stop()).toBeLessThanOrEqual(FLEET_MAX);
    expect(settled.noAgent.length).toBeGreaterThan(0);
    for (const a of settled.noAgent) expect(a?.reasons.at(-1)).toBe('no agent has taken this action in 2s');
    expect(settled.list.filter((a) => a?.decision.rule === 'breaker_fleet')).toHaveLength(8 - settled.enqueued);
    const types = await auditTypes(r);
    // back-0's agent ran its job (dry-run) and nothing else ran anywhere.
    expect(types.filter((t) => t === 'action.result')).toHaveLength(1);

    // The slots are free again: the next breach heals by itself.
    await storm(['back-8'], true);
    await eventually(async () => ((await hostsHealing(r)) === 1 ? true : undefined), 10_000, 'back-8 healing');
  });
});
