import { breakerGuard, type Guard } from '../core/decide/guards.js';
import type { Decision, PlannedAction } from '../core/decide/types.js';
import { cancelSlots, reserveSlots } from '../breakers/slots.js';
import { crashPoint } from '../crash-point.js';
import type { StartedJob } from '../events/types.js';
import { keys } from '../redis/keys.js';
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

/** The breaker slots an AUTO_HEAL's jobs take. */
const slotsOf = (decision: Decision, incidents: readonly OpenedIncident[]) =>
  jobsOf(decision, incidents).map((j) => ({ key: j.key, action: j.action.id }));

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
  const slots = slotsOf(decision, incidents);
  if (slots.length === 0) return undefined;
  const reservation = await reserveSlots(deps.redis, deps.policy, decision.host, slots, at.getTime());
  return reservation.ok ? undefined : breakerGuard(reservation.hold);
}

/** A reservation whose incidents were not opened after all (a later batch took the host), taken back. */
export async function releaseAutoHeal(
  deps: PipelineDeps,
  decision: Decision,
  incidents: readonly OpenedIncident[],
): Promise<void> {
  await cancelSlots(deps.redis, decision.host, slotsOf(decision, incidents));
}

/**
 * AUTO_HEAL, its slots reserved: an action job per newly opened incident,
 * then one notice, whose event the audit records as the jobs' enqueueing. A
 * redone attempt finds its jobs (their ids are their keys) and its notice
 * (marked on the first incident) and adds neither again.
 */
export async function autoHeal(
  deps: PipelineDeps,
  decision: Decision,
  incidents: readonly OpenedIncident[],
  at: Date,
): Promise<void> {
  const started: StartedJob[] = [];
  for (const { key, action, incident } of jobsOf(decision, incidents)) {
    await deps.actions.enqueue({
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
    started.push({ key, action: action.id, incident_id: incident.id, params: action.params });
  }
  if (started.length === 0) return;
  crashPoint('heal.enqueued');
  // One notice per host and breach, naming every action it started.
  const fresh = incidents.filter((i) => i.isNew).map((i) => i.id);
  await deps.events.publishOnce(noticeMark(fresh), {
    type: 'incident.opened',
    host: decision.host,
    incident_ids: fresh,
    decision,
    actions: started.map((j) => j.action),
    dry_run: deps.executionMode === 'dry-run',
    jobs: started,
  });
}

/** A breach's notice is marked on its first incident: written once, however often the attempt is redone. */
export function noticeMark(incidentIds: readonly string[]) {
  return { key: keys.incident(incidentIds[0] ?? ''), field: 'noticed', ttlS: 0 };
}
