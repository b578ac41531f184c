import type { Decision } from '../core/decide/types.js';
import type { PipelineDeps } from './deps.js';
import { recordAutoHeal } from './host-state.js';
import type { OpenedIncident } from './incidents.js';

/** An auto-heal counts as in flight until its action's timeout plus this margin has passed. */
const IN_FLIGHT_MARGIN_MS = 60_000;

/** AUTO_HEAL: an action job per newly opened incident, recorded for cooldowns and breakers, and one notice. */
export async function autoHeal(
  deps: PipelineDeps,
  decision: Decision,
  incidents: readonly OpenedIncident[],
  at: Date,
): Promise<void> {
  const started: string[] = [];
  for (const action of decision.actions) {
    const incident = incidents.find((i) => i.signal === action.signal);
    // A condition already open was handled when it opened; cooldowns and
    // verify-after-heal decide what happens when it persists.
    if (!incident?.isNew) continue;
    const key = `${incident.id}.${action.id}`;
    const timeout = deps.policy.actions[action.id]?.timeout ?? 0;
    // Recorded before the job exists: an agent that finishes first clears the
    // in-flight mark, and a mark written after that would hold for the whole
    // timeout and could trip the fleet breaker. A batch retried after it was
    // cut short records the same member again, which counts nothing twice.
    await recordAutoHeal(
      deps.redis,
      decision.host,
      action.id,
      key,
      at.getTime(),
      at.getTime() + timeout + IN_FLIGHT_MARGIN_MS,
    );
    const claimed = await deps.actions.enqueue({
      key,
      host: decision.host,
      trigger: 'auto_heal',
      approval_id: null,
      incident_ids: [incident.id],
      actions: [{ id: action.id, params: action.params }],
      enqueued_at: at.toISOString(),
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
