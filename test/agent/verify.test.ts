import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import type { Agent } from '../../src/agent/agent.js';
import type { AdapterFactory } from '../../src/chat/port.js';
import { ThreadedDelivery } from '../../src/chat/threads.js';
import type { MessageDoc } from '../../src/chat/view/doc.js';
import { keys } from '../../src/redis/keys.js';
import { DialCollector, fillScratch, files, sandbox, startTestAgent, type Sandbox } from '../helpers/agent.js';
import { eventually, startTestBot, type TestBot } from '../helpers/bot.js';
import { snapshot } from '../helpers/core.js';
import { allEvents, resultOf } from '../helpers/events.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

/** A threaded chat platform in memory: what a channel would show, post by post. */
interface Post {
  readonly id: number;
  readonly doc: MessageDoc;
  readonly thread: number | undefined;
}
const channel: Post[] = [];
const memoryChat: AdapterFactory = {
  name: 'memory',
  create({ services }) {
    const delivery = new ThreadedDelivery<number>(
      'memory',
      {
        post: (doc, thread) => {
          channel.push({ id: channel.length + 1, doc, thread });
          return Promise.resolve(channel.length);
        },
        update: () => Promise.resolve(),
      },
      services,
    );
    return { name: 'memory', deliver: (n) => delivery.deliver(n) };
  },
};

let server: TestRedis;
let redis: Redis;
let box: Sandbox;
let bot: TestBot;
let agent: Agent;
const dial = new DialCollector('dial-1');
const observed: string[] = [];

beforeAll(async () => {
  server = await startRedis();
  redis = server.client();
  box = await sandbox(9); // the dial collector asks no resolver
  bot = await startTestBot(
    server,
    { POLICY_FILE: box.policyFile },
    { livenessCheckMs: 100, adapterFactories: [memoryChat] },
  );
  agent = await startTestAgent(
    server,
    'dial-1',
    { POLICY_FILE: box.policyFile, EXECUTION_MODE: 'live' },
    { collector: dial, onResult: (r) => observed.push(`${r.job_id}:${r.outcome}`) },
  );
});

afterAll(async () => {
  await agent?.close();
  await bot?.close();
  await server?.stop();
});

describe('verify after heal', () => {
  it('escalates an auto-heal that did not help to a human, and the approved re-run is verified again', async () => {
    await fillScratch(box.scratch, 2, 1);
    await bot.request('/v1/metrics', { body: snapshot({ host: 'dial-1', disk_usage: 91, dns_latency_ms: 5 }) });
    dial.disk = 90;
    const incident = await eventually(
      async () => (await redis.hget(keys.hostIncidents('dial-1'), 'disk_usage')) ?? undefined,
    );

    const result = await eventually(() => resultOf(redis, `${incident}.disk_cleanup`), 20_000);
    expect(result).toMatchObject({
      outcome: 'success',
      verify: { signal: 'disk_usage', before: 91, after: 90, threshold: 85, recovered: false },
    });
    expect(await files(box.scratch)).toEqual(['new-0.log']);
    expect(result.detail).toBe('disk_usage 91 → 90: auto-heal did not help; a human is asked to decide.');
    const approvalId = await eventually(
      async () => (await redis.hget(keys.incident(incident), 'approval_id')) ?? undefined,
    );

    const approval = await bot.approvals.get(approvalId);
    expect(approval).toMatchObject({
      status: 'pending',
      host: 'dial-1',
      incident_ids: [incident],
      actions: [{ id: 'disk_cleanup', risk: 'safe' }],
      decision: { decision: 'HITL_REQUIRED', rule: 'not_recovered' },
    });
    expect(approval!.reasons[0]).toBe('auto-heal did not help: disk_usage 91 → 90');
    const requested = await eventually(async () => {
      const { body } = await bot.request(`/v1/audit?window=1h&host=dial-1&type=approval.requested`);
      const audited = body as { entries: { approval_id: string; data: { reasons: string[] } }[] };
      return audited.entries.length > 0 ? audited : undefined;
    });
    expect(requested.entries[0]).toMatchObject({ approval_id: approvalId });
    expect(requested.entries[0]!.data.reasons[0]).toBe('auto-heal did not help: disk_usage 91 → 90');
    const announced = (await allEvents(redis)).filter((e) => e.type === 'approval.requested');
    expect(announced.map((e) => e.approval.id)).toEqual([approvalId]);
    // In chat: the auto-heal notice, its result in the thread, the request, and the escalation in the same thread.
    const escalated = await eventually(() => channel.find((p) => p.doc.title.startsWith('Escalated to a human')));
    const notice = channel.find((p) => p.doc.title === 'Auto-heal on dial-1: disk_cleanup');
    expect(notice?.thread).toBeUndefined();
    expect(escalated.thread).toBe(notice!.id);
    expect(escalated.doc.lines[0]).toBe('auto-heal did not help: disk_usage 91 → 90');
    expect(
      channel.find((p) => p.thread === notice!.id && p.doc.title.startsWith('disk_cleanup on dial-1'))?.doc.fields,
    ).toContainEqual({
      label: 'Disk',
      value: '91% → 90% (did not recover)',
    });
    expect(
      channel.find((p) => p.doc.decide && 'approvalId' in p.doc.decide && p.doc.decide.approvalId === approvalId)
        ?.thread,
    ).toBeUndefined();

    // A human approves; this time the disk comes down.
    await fillScratch(box.scratch, 1, 0);
    dial.disk = 60;
    const approved = await bot.approvals.approve(approvalId, { platform: 'console', userId: 'alice' }, 'try again');
    expect(approved.ok).toBe(true);
    const rerun = await eventually(() => resultOf(redis, approvalId), 20_000);
    expect(rerun).toMatchObject({
      trigger: 'approval',
      approval_id: approvalId,
      outcome: 'success',
      verify: { before: 91, after: 60, recovered: true },
    });
    expect(await files(box.scratch)).toEqual(['new-0.log']);
    // The re-measured snapshot went to the bot: the incident is resolved.
    await eventually(async () => ((await redis.hget(keys.hostIncidents('dial-1'), 'disk_usage')) ? undefined : true));
    expect(observed).toEqual([`${incident}.disk_cleanup:success`, `${approvalId}:success`]);
  });
});

describe('an action that breaks off', () => {
  it('is reported as unknown at once, not left for a restart', async () => {
    await bot.request('/v1/metrics', { body: snapshot({ host: 'dial-1', disk_usage: 40, dns_latency_ms: 5 }) });
    await eventually(async () => ((await redis.hget(keys.hostIncidents('dial-1'), 'disk_usage')) ? undefined : true));
    await fillScratch(box.scratch, 1, 0);
    // The sandbox's disk_cleanup cooldown (1s) since the first test's auto-heal must be over, or this goes to a human.
    await new Promise((r) => setTimeout(r, 1100));
    await bot.request('/v1/metrics', { body: snapshot({ host: 'dial-1', disk_usage: 93, dns_latency_ms: 5 }) });
    dial.broken = 'no / found to measure disk_usage';
    const incident = await eventually(
      async () => (await redis.hget(keys.hostIncidents('dial-1'), 'disk_usage')) ?? undefined,
    );
    const result = await eventually(() => resultOf(redis, `${incident}.disk_cleanup`), 20_000);
    dial.broken = undefined;
    expect(result).toMatchObject({ outcome: 'unknown', verify: null });
    expect(result.detail).toBe(
      'The agent broke off disk_cleanup (no / found to measure disk_usage): its effect is unknown. Check dial-1.',
    );
    // The cleanup itself had run.
    expect(await files(box.scratch)).toEqual(['new-0.log']);
  });
});

describe('agent liveness', () => {
  it('opens an incident when an agent goes silent and resolves it when it is back', async () => {
    const beat = (ago: number) =>
      redis
        .multi()
        .hset(keys.agent('quiet-1'), { last_seen: String(Date.now() - ago), interval_ms: '1000' })
        .zadd(keys.agents, Date.now() - ago, 'quiet-1')
        .exec();
    await beat(10_000);
    const silent = await eventually(async () => (await allEvents(redis)).find((e) => e.type === 'agent.silent'));
    expect(silent).toMatchObject({ host: 'quiet-1' });
    if (silent.type !== 'agent.silent') throw new Error('expected agent.silent');
    expect(silent.silent_ms).toBeGreaterThanOrEqual(10_000);
    const diagnosis = await bot.chat.command('diagnose', 'quiet-1');
    expect(diagnosis.kind).toBe('usage'); // never sent a snapshot: nothing to diagnose, and no wait either

    await beat(0);
    const back = await eventually(async () =>
      (await allEvents(redis)).find((e) => e.type === 'incident.resolved' && e.incident_id === silent.incident_id),
    );
    expect(back).toMatchObject({ host: 'quiet-1', signal: 'agent_heartbeat' });
    // In chat: a notice, and its resolution in the notice's thread.
    const notice = await eventually(() => channel.find((p) => p.doc.title === 'The agent on quiet-1 is silent'));
    const resolved = await eventually(() => channel.find((p) => p.doc.title === 'Resolved on quiet-1'));
    expect(resolved.thread).toBe(notice.id);
    expect(resolved.doc.lines[0]).toMatch(/^Agent heartbeat back to \d+s$/);
    const types = await eventually(async () => {
      const page = (await bot.request(`/v1/audit?window=1h&host=quiet-1`)).body as { entries: { type: string }[] };
      return page.entries.length >= 2 ? page.entries.map((e) => e.type).sort() : undefined;
    });
    expect(types).toEqual(['incident.opened', 'incident.resolved']);
  });
});
