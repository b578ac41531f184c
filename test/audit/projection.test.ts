import { describe, expect, it } from 'vitest';
import type { ApprovalRecord } from '../../src/approvals/record.js';
import { auditEntryInputSchema } from '../../src/audit/schema.js';
import { auditEntriesOf } from '../../src/audit/projection.js';
import { decide } from '../../src/core/decide/decide.js';
import type { HealgateEvent } from '../../src/events/types.js';
import { shipped, snapshot } from '../helpers/core.js';

const WRITTEN = new Date('2026-12-07T10:00:00.000Z');

async function breach() {
  const { classifier, policy } = await shipped();
  const s = snapshot({ host: 'web-1', disk_usage: 95 });
  return {
    s,
    decision: decide(s, classifier, policy, {
      now: WRITTEN.getTime(),
      openIncidents: [],
      recentAutoHeals: [],
      hostsAutoHealing: [],
    }),
  };
}

function request(decision: Awaited<ReturnType<typeof breach>>['decision']): ApprovalRecord {
  return {
    id: 'apr-0123456789abcdef',
    host: 'web-1',
    status: 'pending',
    actions: [{ id: 'firewall_port_change', risk: 'risky', params: { port: 8443 } }],
    reasons: decision.reasons,
    decision,
    incident_ids: [],
    requester: { platform: 'slack', userId: 'UREQ' },
    request: { port: 8443 },
    created_at: '2026-12-07T09:59:00.000Z',
    expires_at: '2026-12-07T10:29:00.000Z',
    decided_by: null,
    notes: '',
    decided_at: null,
    messages: {},
  };
}

const types = (event: HealgateEvent) => auditEntriesOf(event, WRITTEN).map((p) => p.entry.type);

describe('the audit entries an event stands for', () => {
  it('a decision that opened incidents: the decision, then one entry per incident opened now', async () => {
    const { s, decision } = await breach();
    const entries = auditEntriesOf(
      {
        type: 'decision.recorded',
        host: 'web-1',
        decision,
        snapshot: s,
        incidents: [
          { id: 'inc-1', signal: 'disk_usage', opened: true },
          { id: 'inc-0', signal: 'memory_usage', opened: false },
        ],
      },
      WRITTEN,
    );
    expect(entries.map((p) => [p.entry.type, p.entry.incident_id])).toEqual([
      ['decision', undefined],
      ['incident.opened', 'inc-1'],
    ]);
    expect(entries[0]!.entry).toMatchObject({ decision: decision.decision, model: decision.model, host: 'web-1' });
    expect(entries.every((p) => p.at === WRITTEN)).toBe(true);
  });

  it("an auto-heal's notice is its jobs' enqueueing; a notice with nothing to run is no entry", async () => {
    const { decision } = await breach();
    const notice = {
      type: 'incident.opened' as const,
      host: 'web-1',
      incident_ids: ['inc-1'],
      decision,
      actions: ['disk_cleanup'],
      dry_run: true,
      jobs: [{ key: 'inc-1.disk_cleanup', action: 'disk_cleanup', incident_id: 'inc-1', params: { days: 7 } }],
    };
    expect(auditEntriesOf(notice, WRITTEN).map((p) => p.entry)).toEqual([
      {
        type: 'action.enqueued',
        host: 'web-1',
        incident_id: 'inc-1',
        action: 'disk_cleanup',
        trigger: 'auto_heal',
        data: { job_id: 'inc-1.disk_cleanup', params: { days: 7 } },
      },
    ]);
    expect(types({ ...notice, actions: [], jobs: [] })).toEqual([]);
  });

  it('a request and its decision are entries at their own times, naming who asked and who decided', async () => {
    const { decision } = await breach();
    const asked = request(decision);
    const [requested] = auditEntriesOf({ type: 'approval.requested', approval: asked }, WRITTEN);
    expect(requested).toMatchObject({
      at: new Date(asked.created_at),
      entry: { type: 'approval.requested', approval_id: asked.id, actor: 'slack:UREQ', platform: 'slack' },
    });
    const decided: ApprovalRecord = {
      ...asked,
      status: 'rejected',
      decided_by: { platform: 'console', userId: 'alice', auth: 'oidc' },
      notes: 'not during the freeze',
      decided_at: '2026-12-07T10:04:00.000Z',
    };
    const [entry] = auditEntriesOf({ type: 'approval.decided', approval: decided }, WRITTEN);
    expect(entry).toMatchObject({
      at: new Date(decided.decided_at!),
      entry: {
        type: 'approval.rejected',
        outcome: 'rejected',
        actor: 'console:alice',
        notes: 'not during the freeze',
        duration_ms: 5 * 60_000,
        data: { auth: 'oidc' },
      },
    });
  });

  it('results, withdrawals, refusals, resolutions, silences and breakers are one entry each; a group redrawn is none', () => {
    const events: HealgateEvent[] = [
      {
        type: 'action.result',
        host: 'web-1',
        job_id: 'inc-1.disk_cleanup',
        trigger: 'auto_heal',
        approval_id: null,
        incident_ids: ['inc-1'],
        outcome: 'success',
        dry_run: false,
        actions: [{ id: 'disk_cleanup', outcome: 'success', steps: [] }],
        verify: null,
        detail: 'disk_cleanup ran successfully.',
        duration_ms: 1200,
      },
      {
        type: 'action.withdrawn',
        host: 'web-1',
        job_id: 'inc-2.disk_cleanup',
        incident_ids: ['inc-2'],
        actions: ['disk_cleanup'],
        reason: 'no agent has taken this action in 2m',
      },
      {
        type: 'action.refused',
        host: 'web-1',
        job_id: 'forged',
        reason: "its signature is not the bot's",
        actions: ['restart_service'],
        approval_id: null,
        claimed_host: 'web-2',
      },
      { type: 'incident.resolved', host: 'web-1', incident_id: 'inc-1', signal: 'disk_usage', value: 40 },
      {
        type: 'agent.silent',
        host: 'web-1',
        incident_id: 'inc-3',
        last_seen: '2026-12-07T09:50:00.000Z',
        silent_ms: 600_000,
      },
      { type: 'breaker.tripped', host: 'web-1', scope: 'fleet', reason: '5 hosts healing', policy: 'default' },
      { type: 'group.updated', group_id: 'g-1', size: 4 },
    ];
    expect(events.map(types)).toEqual([
      ['action.result'],
      ['action.withdrawn'],
      ['action.refused'],
      ['incident.resolved'],
      ['incident.opened'],
      ['breaker.tripped'],
      [],
    ]);
    // Every entry is one the audit takes as it is.
    for (const event of events)
      for (const { entry } of auditEntriesOf(event, WRITTEN))
        expect(auditEntryInputSchema.safeParse(entry).success, entry.type).toBe(true);
  });
});
