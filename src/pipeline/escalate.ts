import type { Decision } from '../core/decide/types.js';
import { keys } from '../redis/keys.js';
import type { PipelineDeps } from './deps.js';
import { FIREWALL_SIGNAL } from './firewall.js';
import { noticeMark } from './auto-heal.js';
import { incidentRecords, linkApproval, type OpenedIncident } from './incidents.js';

/** HITL_REQUIRED: an approval request for newly opened incidents (or a notice when nothing could run), and breakers announced. */
export async function escalate(
  deps: PipelineDeps,
  decision: Decision,
  incidents: readonly OpenedIncident[],
): Promise<void> {
  if (decision.rule === 'breaker_host' || decision.rule === 'breaker_fleet') await announceBreaker(deps, decision);
  const actions = decision.actions.filter((a) => a.signal !== FIREWALL_SIGNAL);
  const fresh = incidents.filter((i) => i.isNew);
  let key =
    fresh.length > 0
      ? incidents
          .map((i) => i.id)
          .sort()
          .join('+')
      : undefined;
  if (!key && incidents.length > 0 && deps.policy.approval.on_expiry === 'repropose')
    key = await reproposalKey(deps, incidents);
  if (!key) return;
  if (actions.length === 0) {
    // Nothing the policy could run: humans are told, there is nothing to approve.
    const ids = fresh.map((i) => i.id);
    await deps.events.publishOnce(noticeMark(ids), {
      type: 'incident.opened',
      host: decision.host,
      incident_ids: ids,
      decision,
      actions: [],
      dry_run: deps.executionMode === 'dry-run',
      jobs: [],
    });
    return;
  }
  const approval = await deps.approvals.request({
    key,
    host: decision.host,
    decision,
    actions: actions.map((a) => ({ id: a.id, params: a.params })),
    incident_ids: incidents.map((i) => i.id),
  });
  await linkApproval(
    deps.redis,
    incidents.map((i) => i.id),
    approval.id,
  );
}

/** With `on_expiry: repropose`, an open incident whose request expired gets a fresh one. */
async function reproposalKey(deps: PipelineDeps, incidents: readonly OpenedIncident[]): Promise<string | undefined> {
  const records = await incidentRecords(
    deps.redis,
    incidents.map((i) => i.id),
  );
  const linked = [...new Set(records.map((r) => r.approval_id).filter((id): id is string => !!id))];
  if (linked.length === 0) return undefined;
  const approvals = await Promise.all(linked.map((id) => deps.approvals.get(id)));
  if (approvals.some((a) => a?.status !== 'expired')) return undefined;
  return `${incidents
    .map((i) => i.id)
    .sort()
    .join('+')}/after/${linked.sort().join('+')}`;
}

/** A tripped breaker is announced (and so audited) once an hour per scope. */
async function announceBreaker(deps: PipelineDeps, decision: Decision): Promise<void> {
  const scope = decision.rule === 'breaker_host' ? 'host' : 'fleet';
  const reason = decision.reasons.at(-1) ?? 'circuit breaker tripped';
  await deps.events.publishOnce(
    { key: keys.breakerAnnounced(scope === 'host' ? `host:${decision.host}` : 'fleet'), field: 'at', ttlS: 3600 },
    { type: 'breaker.tripped', host: decision.host, scope, reason, policy: decision.policy },
  );
}
