import { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { queues } from '../../src/redis/keys.js';
import type { Principal } from '../../src/core/policy/approvers.js';
import { snapshot } from '../helpers/core.js';
import { actionJobs, eventually, policyFile, useBot } from '../helpers/bot.js';

const alice: Principal = { platform: 'console', userId: 'alice', displayName: 'Alice' };
const approver: Principal = { platform: 'slack', userId: 'UAPPROVER' };
const mallory: Principal = { platform: 'slack', userId: 'UMALLORY' };

// Approvals expire after 2s here, so that expiry can be watched.
const t = useBot(async () => ({ POLICY_FILE: await policyFile((y) => y.replace('timeout: 30m', 'timeout: 2s')) }));

let hostSeq = 0;
/** A host with a known snapshot and a firewall request pending approval; returns the approval id. */
async function firewallApproval(requestedBy = 'slack:UREQUESTER'): Promise<{ host: string; id: string }> {
  const host = `fw-${++hostSeq}`;
  await t.bot.request('/v1/metrics', { body: snapshot({ host }) });
  await eventually(async () => ((await t.bot.request(`/v1/hosts/${host}`)).status === 200 ? true : undefined));
  const r = await t.bot.request('/v1/requests/firewall', {
    body: { host, action: 'open', port: 8443, protocol: 'tcp', reason: 'new health check', requested_by: requestedBy },
  });
  expect(r).toMatchObject({ status: 202, body: { status: 'evaluating' } });
  const id = await eventually(async () => {
    const { body } = await t.bot.request(`/v1/audit?window=1h&host=${host}&type=approval.requested`);
    return (body as { entries: { approval_id: string }[] }).entries[0]?.approval_id;
  });
  return { host, id };
}

describe('firewall request → approval', () => {
  it('expires on time even when its delayed expiry job was lost, audited and announced once', async () => {
    const { id } = await firewallApproval();
    // Gone as if Redis had lost its last second of writes: only the record and its pending index are left.
    const queue = new Queue(queues.approvals, { connection: t.redis.client() });
    expect(await queue.remove(`expire-${id}`)).toBe(1);
    await queue.close();
    const expired = await eventually(
      async () => {
        const record = await t.bot.approvals.get(id);
        return record?.status === 'expired' ? record : undefined;
      },
      10_000,
      'the expiry',
    );
    expect(expired.decided_by).toBeNull();
    const { body } = await t.bot.request(`/v1/audit?window=1h&type=approval.expired`);
    expect((body as { entries: { approval_id: string }[] }).entries.filter((e) => e.approval_id === id)).toHaveLength(
      1,
    );
    const events = (await t.redis.client().xrange('healgate:events', '-', '+')) as [string, string[]][];
    const decided = events.filter(([, f]) => f.includes('approval.decided') && f.join(' ').includes(id));
    expect(decided).toHaveLength(1);
  });

  it('is pending with the requested change, and approving it enqueues the action once', async () => {
    const { host, id } = await firewallApproval();
    const pending = await t.bot.approvals.get(id);
    expect(pending).toMatchObject({
      status: 'pending',
      host,
      requester: { platform: 'slack', userId: 'UREQUESTER' },
      actions: [{ id: 'firewall_port_change', risk: 'risky', params: { rule: 'allow', port: 8443, protocol: 'tcp' } }],
      decision: { decision: 'HITL_REQUIRED', rule: 'risky_action' },
    });

    const approved = await t.bot.approvals.approve(id, approver, 'checked with the app team');
    expect(approved).toMatchObject({
      ok: true,
      approval: { status: 'approved', decided_by: approver, notes: 'checked with the app team' },
    });
    const again = await t.bot.approvals.approve(id, alice, 'me too');
    expect(again).toMatchObject({
      ok: false,
      reason: 'already_decided',
      message: 'Already approved by slack:UAPPROVER.',
    });

    const jobs = await actionJobs(t.redis, host);
    expect(jobs.map((j) => j.id)).toEqual([id]);
    expect(jobs[0]!.data).toMatchObject({
      trigger: 'approval',
      actions: [{ id: 'firewall_port_change', params: { rule: 'allow', port: 8443 } }],
    });

    const { body } = await t.bot.request(`/v1/audit?window=1h&host=${host}&type=approval.approved`);
    expect((body as { entries: unknown[] }).entries).toMatchObject([
      {
        type: 'approval.approved',
        actor: 'slack:UAPPROVER',
        platform: 'slack',
        notes: 'checked with the app team',
        approval_id: id,
      },
    ]);
  });

  it('refuses the requester (four eyes), non-approvers and a reject without notes, and changes nothing', async () => {
    const { host, id } = await firewallApproval('slack:UAPPROVER');
    expect(await t.bot.approvals.approve(id, approver)).toMatchObject({ ok: false, reason: 'four_eyes' });
    expect(await t.bot.approvals.approve(id, mallory)).toMatchObject({
      ok: false,
      reason: 'not_approver',
      message: 'slack:UMALLORY is not an approver for firewall_port_change.',
    });
    expect(await t.bot.approvals.reject(id, alice, '   ')).toMatchObject({ ok: false, reason: 'notes_required' });
    expect(await t.bot.approvals.get(id)).toMatchObject({ status: 'pending' });
    expect(await actionJobs(t.redis, host)).toEqual([]);

    expect(await t.bot.approvals.reject(id, alice, 'port 8443 is not ours')).toMatchObject({
      ok: true,
      approval: { status: 'rejected' },
    });
    expect(await actionJobs(t.redis, host)).toEqual([]);
  });

  it('expires when nobody decides in time, and nothing runs', async () => {
    const { host, id } = await firewallApproval();
    const expired = await eventually(async () => {
      const a = await t.bot.approvals.get(id);
      return a?.status === 'expired' ? a : undefined;
    }, 8000);
    expect(expired.decided_by).toBeNull();
    expect(await t.bot.approvals.approve(id, approver)).toMatchObject({ ok: false, reason: 'expired' });
    expect(await actionJobs(t.redis, host)).toEqual([]);
  });

  it('lets exactly one of approve, reject and expire win a race, with at most one action job', async () => {
    const outcomes: string[] = [];
    for (let round = 0; round < 15; round++) {
      const { host, id } = await firewallApproval();
      const contenders = [
        () => t.bot.approvals.approve(id, approver, 'go'),
        () => t.bot.approvals.reject(id, alice, 'no'),
        () => t.bot.approvals.expire(id),
        () => t.bot.approvals.approve(id, alice, 'go too'),
      ];
      // A different contender starts first in each round.
      const order = contenders.map((_, i) => contenders[(i + round) % contenders.length]!);
      const results = await Promise.all(order.map((start) => start()));
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      const final = await t.bot.approvals.get(id);
      outcomes.push(final!.status);
      const jobs = await actionJobs(t.redis, host);
      expect(jobs.length).toBe(final!.status === 'approved' ? 1 : 0);
      // Every loser is told the outcome that won.
      for (const r of results.filter((x) => !x.ok)) expect(r.approval?.status).toBe(final!.status);
    }
    expect(new Set(outcomes).size).toBeGreaterThan(1);
  });
});

describe('risky signals', () => {
  it('a slow resolver opens one incident and one approval request, not one per poll', async () => {
    await t.bot.request('/v1/metrics', {
      body: [snapshot({ host: 'dns-1', dns_latency_ms: 400 }), snapshot({ host: 'dns-1', dns_latency_ms: 420 })],
    });
    const requested = await eventually(async () => {
      const { body } = await t.bot.request('/v1/audit?window=1h&host=dns-1&type=approval.requested');
      const e = (body as { entries: { approval_id: string }[] }).entries;
      return e.length > 0 ? e : undefined;
    });
    await t.bot.request('/v1/metrics', { body: snapshot({ host: 'dns-1', dns_latency_ms: 450 }) });
    await eventually(
      async () =>
        ((await t.bot.request('/v1/hosts/dns-1')).body as { snapshot: { dns_latency_ms: number } }).snapshot
          .dns_latency_ms === 450 || undefined,
    );
    const { body } = await t.bot.request('/v1/audit?window=1h&host=dns-1&type=approval.requested');
    expect((body as { entries: unknown[] }).entries).toHaveLength(1);
    const approval = await t.bot.approvals.get(requested[0]!.approval_id);
    expect(approval).toMatchObject({
      actions: [{ id: 'dns_config_change', params: { interface: 'eth0', servers: ['1.1.1.1', '9.9.9.9'] } }],
    });
  });
});
