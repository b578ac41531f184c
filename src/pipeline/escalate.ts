import type { Decision } from '../core/decide/types.js';
import { keys } from '../redis/keys.js';
import type { PipelineDeps } from './deps.js';
import { FIREWALL_SIGNAL } from './firewall.js';
import { incidentRecords, linkApproval, type OpenedIncident } from './incidents.js';

/** HITL_REQUIRED: an approval request for newly opened incidents (or a notice when nothing could run), and breakers announced. */
export async function escalate(
  deps: PipelineDeps,
  decision: Decision,
  incidents: readonly OpenedIncident[],
  at: Date,
): Promise<void> {
  if (decision.rule === 'breaker_host' || decision.rule === 'breaker_fleet') await announceBreaker(deps, decision, at);
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
    await deps.events.publish({
      type: 'incident.opened',
      host: decision.host,
      incident_ids: fresh.map((i) => i.id),
      decision,
      actions: [],
      dry_run: deps.executionMode === 'dry-run',
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

async function announceBreaker(deps: PipelineDeps, decision: Decision, at: Date): Promise<void> {
  const scope = decision.rule === 'breaker_host' ? 'host' : 'fleet';
  const announced = await deps.redis.set(
    keys.breakerAnnounced(scope === 'host' ? `host:${decision.host}` : 'fleet'),
    at.toISOString(),
    'EX',
    3600,
    'NX',
  );
  if (announced !== 'OK') return;
  const reason = decision.reasons.at(-1) ?? 'circuit breaker tripped';
  await deps.audit.append(
    { type: 'breaker.tripped', host: decision.host, outcome: scope, notes: reason, policy: decision.policy },
    at,
  );
  await deps.events.publish({ type: 'breaker.tripped', host: decision.host, scope, reason });
}
