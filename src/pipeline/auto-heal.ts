import { breakerGuard, type Guard } from '../core/decide/guards.js';
import type { Decision, PlannedAction } from '../core/decide/types.js';
import { reserveSlots } from '../breakers/slots.js';
import type { PipelineDeps } from './deps.js';
import type { OpenedIncident } from './incidents.js';

/** The jobs an AUTO_HEAL starts: one per action whose incident has just opened. */
function jobsOf(
  decision: Decision,
  incidents: readonly OpenedIncident[],
): { key: string; action: PlannedAction; incident: OpenedIncident }[] {
  const jobs: { key: string; action: PlannedAction; incident: OpenedIncident }[] = [];
  for (const action of decision.actions) {
    const incident = incidents.find((i) => i.signal === action.signal);
    // A condition already open was handled when it opened; cooldowns and
    // verify-after-heal decide what happens when it persists.
    if (incident?.isNew) jobs.push({ key: `${incident.id}.${action.id}`, action, incident });
  }
  return jobs;
}

/**
 * Takes the breaker slots for an AUTO_HEAL before any job exists; the guard
 * that holds it when a breaker refuses. A batch retried after it was cut
 * short finds its own slots taken already, which counts nothing twice.
 */
export async function reserveAutoHeal(
  deps: PipelineDeps,
  decision: Decision,
  incidents: readonly OpenedIncident[],
  at: Date,
): Promise<Guard | undefined> {
  const jobs = jobsOf(decision, incidents);
  if (jobs.length === 0) return undefined;
  const slots = jobs.map((j) => ({ key: j.key, action: j.action.id }));
  const reservation = await reserveSlots(deps.redis, deps.policy, decision.host, slots, at.getTime());
  return reservation.ok ? undefined : breakerGuard(reservation.hold);
}

/** AUTO_HEAL, its slots reserved: an action job per newly opened incident, and one notice. */
export async function autoHeal(
  deps: PipelineDeps,
  decision: Decision,
  incidents: readonly OpenedIncident[],
  at: Date,
): Promise<void> {
  const started: string[] = [];
  for (const { key, action, incident } of jobsOf(decision, incidents)) {
    const claimed = await deps.actions.enqueue({
      key,
      host: decision.host,
      trigger: 'auto_heal',
      approval_id: null,
      incident_ids: [incident.id],
      actions: [{ id: action.id, params: action.params }],
      enqueued_at: at.toISOString(),
    });
    await deps.pickup.schedule({
      host: decision.host,
      key,
      incident_ids: [incident.id],
      actions: [{ id: action.id, params: action.params }],
      decision,
      waited_ms: deps.policy.actions[action.id]?.timeout ?? 0,
    });
    // Not claimed: an earlier attempt, cut short before its notice, enqueued it and audited that.
    if (claimed)
      await deps.audit.append(
        {
          type: 'action.enqueued',
          host: decision.host,
          incident_id: incident.id,
          action: action.id,
          trigger: 'auto_heal',
          data: { job_id: key, params: action.params },
        },
        at,
      );
    started.push(action.id);
  }
  // One notice per host and breach, naming every action it started.
  if (started.length > 0) {
    await deps.events.publish({
      type: 'incident.opened',
      host: decision.host,
      incident_ids: incidents.filter((i) => i.isNew).map((i) => i.id),
      decision,
      actions: started,
      dry_run: deps.executionMode === 'dry-run',
    });
  }
}
