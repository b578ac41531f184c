import { principalId } from '../core/policy/approvers.js';
import { AGENT_SIGNAL, type HealgateEvent } from '../events/types.js';
import { AUDIT_NOTES_MAX, type AuditEntryInput } from './schema.js';

export interface ProjectedEntry {
  readonly entry: AuditEntryInput;
  readonly at: Date;
}

/**
 * The audit entries an event stands for, in order; `writtenAt` is when the
 * event was written (its stream id), the time of an entry that has no time
 * of its own. Pure: the audit recorder appends what this returns, once per
 * event, so what the chain says follows from the event stream alone.
 */
export function auditEntriesOf(event: HealgateEvent, writtenAt: Date): ProjectedEntry[] {
  const at = (entry: AuditEntryInput, when: Date = writtenAt): ProjectedEntry => ({ entry, at: when });
  switch (event.type) {
    case 'decision.recorded': {
      const d = event.decision;
      return [
        at({
          type: 'decision',
          host: event.host,
          decision: d.decision,
          model: d.model,
          policy: d.policy,
          data: { rule: d.rule, reasons: d.reasons, probabilities: d.probabilities, snapshot: event.snapshot },
        }),
        ...event.incidents
          .filter((i) => i.opened)
          .map((i) => at({ type: 'incident.opened', host: event.host, incident_id: i.id, data: { signal: i.signal } })),
      ];
    }
    case 'incident.opened':
      return event.jobs.map((job) =>
        at({
          type: 'action.enqueued',
          host: event.host,
          incident_id: job.incident_id,
          action: job.action,
          trigger: 'auto_heal',
          data: { job_id: job.key, params: { ...job.params } },
        }),
      );
    case 'incident.resolved':
      return [
        at({
          type: 'incident.resolved',
          host: event.host,
          incident_id: event.incident_id,
          data: { signal: event.signal, value: event.value },
        }),
      ];
    case 'agent.silent':
      return [
        at({
          type: 'incident.opened',
          host: event.host,
          incident_id: event.incident_id,
          data: { signal: AGENT_SIGNAL, last_seen: event.last_seen, silent_ms: event.silent_ms },
        }),
      ];
    case 'approval.requested': {
      const r = event.approval;
      return [
        at(
          {
            type: 'approval.requested',
            host: r.host,
            approval_id: r.id,
            decision: r.decision.decision,
            model: r.decision.model,
            policy: r.decision.policy,
            ...(r.requester ? { actor: principalId(r.requester), platform: r.requester.platform } : {}),
            data: { actions: r.actions.map((a) => ({ ...a })), reasons: r.reasons, expires_at: r.expires_at },
          },
          new Date(r.created_at),
        ),
      ];
    }
    case 'approval.decided': {
      const r = event.approval;
      if (r.status === 'pending') return [];
      const decidedAt = r.decided_at ? new Date(r.decided_at) : writtenAt;
      return [
        at(
          {
            type: `approval.${r.status}`,
            host: r.host,
            approval_id: r.id,
            outcome: r.status,
            decision: r.decision.decision,
            model: r.decision.model,
            policy: r.decision.policy,
            duration_ms: Math.max(0, decidedAt.getTime() - Date.parse(r.created_at)),
            ...(r.decided_by ? { actor: principalId(r.decided_by), platform: r.decided_by.platform } : {}),
            ...(r.notes ? { notes: r.notes } : {}),
            data: {
              actions: r.actions.map((a) => ({ ...a })),
              ...(r.decided_by?.auth ? { auth: r.decided_by.auth } : {}),
            },
          },
          decidedAt,
        ),
      ];
    }
    case 'action.result':
      return [
        at({
          type: 'action.result',
          host: event.host,
          trigger: event.trigger,
          outcome: event.outcome,
          action: event.actions.map((a) => a.id).join(', '),
          ...(event.approval_id ? { approval_id: event.approval_id } : {}),
          ...(event.incident_ids[0] ? { incident_id: event.incident_ids[0] } : {}),
          duration_ms: event.duration_ms,
          notes: event.detail.slice(0, AUDIT_NOTES_MAX),
          data: {
            job_id: event.job_id,
            dry_run: event.dry_run,
            verify: event.verify ? { ...event.verify } : null,
            actions: event.actions.map((a) => ({
              id: a.id,
              outcome: a.outcome,
              steps: a.steps.map((s) => ({ ...s, argv: [...s.argv] })),
            })),
          },
        }),
      ];
    case 'action.withdrawn':
      return [
        at({
          type: 'action.withdrawn',
          host: event.host,
          action: event.actions.join(','),
          trigger: 'auto_heal',
          ...(event.incident_ids[0] ? { incident_id: event.incident_ids[0] } : {}),
          notes: event.reason,
          data: { job_id: event.job_id },
        }),
      ];
    case 'action.refused':
      return [
        at({
          type: 'action.refused',
          host: event.host,
          ...(event.actions.length > 0 ? { action: event.actions.join(', ').slice(0, 200) } : {}),
          ...(event.approval_id ? { approval_id: event.approval_id } : {}),
          notes: `Not run: ${event.reason}.`.slice(0, AUDIT_NOTES_MAX),
          data: { job_id: event.job_id, claimed_host: event.claimed_host },
        }),
      ];
    case 'breaker.tripped':
      return [
        at({
          type: 'breaker.tripped',
          host: event.host,
          outcome: event.scope,
          notes: event.reason,
          policy: event.policy,
        }),
      ];
    case 'group.updated':
      return [];
  }
}
