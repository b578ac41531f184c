import type { Redis } from 'ioredis';
import { decide } from '../core/decide/decide.js';
import type { Decision } from '../core/decide/types.js';
import type { SeverityClassifier } from '../core/model/classifier.js';
import { conditionHolds } from '../core/policy/conditions.js';
import type { Policy } from '../core/policy/policy.js';
import type { Snapshot } from '../core/snapshot/schema.js';
import type { ActionQueues } from '../actions/queues.js';
import type { ApprovalService } from '../approvals/service.js';
import type { AuditLog } from '../audit/index.js';
import type { EventLog } from '../events/log.js';
import type { Logger } from '../log.js';
import { keys } from '../redis/keys.js';
import { doneWithFirewallRequest, firewallParams, parseFirewallRequest, requesterOf } from './firewall.js';
import { recordAutoHeal, type HostContext, type StateWrites } from './host-state.js';
import { incidentRecords, linkApproval, openIncident, resolveIncident, type OpenedIncident } from './incidents.js';

export interface PipelineDeps {
  readonly redis: Redis;
  readonly classifier: SeverityClassifier;
  readonly policy: Policy;
  readonly approvals: ApprovalService;
  readonly actions: ActionQueues;
  readonly audit: AuditLog;
  readonly events: EventLog;
  readonly executionMode: 'dry-run' | 'live';
  readonly logger: Logger;
  readonly now: () => Date;
  readonly onDecision?: (decision: Decision) => void;
}

const FIREWALL = 'firewall_change_requested';
/** An auto-heal counts as in flight until its action's timeout plus this margin has passed. */
const IN_FLIGHT_MARGIN_MS = 60_000;

/**
 * One snapshot through the pipeline: decide, keep the host's state, open and
 * resolve incidents, then act — an auto-heal job, an approval request, or
 * nothing. Only what changes is audited and announced.
 *
 * `context` was read before; the host's new state goes to `writes`, which
 * the batch sends at its end. A quiet snapshot (nothing past a
 * threshold, nothing open, nothing requested: most of them) costs no round
 * trip of its own. Returns false for a quiet snapshot, true when the host's
 * context may have changed (the next snapshot then reads it afresh).
 */
export async function evaluateSnapshot(
  deps: PipelineDeps,
  snapshot: Snapshot,
  context: HostContext,
  writes: StateWrites,
): Promise<boolean> {
  const { redis, classifier, policy } = deps;
  const at = deps.now();
  const firewall = context.firewallRequests.map((raw) => ({ raw, request: parseFirewallRequest(raw) }));
  const effective: Snapshot = firewall.length > 0 ? { ...snapshot, firewall_change_requested: 1 } : snapshot;
  const decision = decide(effective, classifier, policy, context);
  writes.add(effective, decision, at.getTime());
  deps.onDecision?.(decision);
  const quiet =
    decision.decision === 'NO_ACTION' &&
    decision.signals.length === 0 &&
    context.openIncidents.length === 0 &&
    firewall.length === 0;
  if (quiet) return false;

  const conditions = decision.signals.filter((s) => s.signal !== FIREWALL);
  const incidents: OpenedIncident[] = [];
  for (const condition of conditions) incidents.push(await openIncident(redis, snapshot.host, condition, at));
  await resolveCleared(deps, snapshot, context, at);

  const fresh = incidents.filter((i) => i.isNew);
  if (fresh.length > 0 || firewall.length > 0) {
    await deps.audit.append(
      {
        type: 'decision',
        host: snapshot.host,
        decision: decision.decision,
        model: decision.model,
        policy: decision.policy,
        data: {
          rule: decision.rule,
          reasons: decision.reasons,
          probabilities: decision.probabilities,
          snapshot: effective,
        },
      },
      at,
    );
    for (const incident of fresh) {
      await deps.audit.append(
        { type: 'incident.opened', host: snapshot.host, incident_id: incident.id, data: { signal: incident.signal } },
        at,
      );
    }
  }

  if (decision.decision === 'AUTO_HEAL') await autoHeal(deps, decision, incidents, at);
  if (decision.decision === 'HITL_REQUIRED') await escalate(deps, decision, incidents, at);
  // Whatever the rest of the snapshot says, each firewall request goes to humans.
  const firewallAction = decision.actions.find((a) => a.signal === FIREWALL)?.id;
  for (const { raw, request } of firewall) {
    try {
      if (!firewallAction) throw new Error(`the policy proposes no action for ${FIREWALL}`);
      await deps.approvals.request({
        key: request.id,
        host: snapshot.host,
        decision,
        actions: [{ id: firewallAction, params: firewallParams(request) }],
        incident_ids: [],
        requester: requesterOf(request.requested_by),
        request: { ...request },
      });
    } catch (err) {
      deps.logger.error({ err, request }, 'firewall request cannot become an approval; dropped');
    }
    await doneWithFirewallRequest(redis, snapshot.host, raw);
  }
  return true;
}

async function resolveCleared(deps: PipelineDeps, snapshot: Snapshot, context: HostContext, at: Date): Promise<void> {
  for (const signal of context.openIncidents) {
    if (conditionHolds(deps.policy.signals[signal], snapshot[signal])) continue;
    const value = snapshot[signal];
    const id = await resolveIncident(deps.redis, snapshot.host, signal, value, at);
    if (!id) continue;
    await deps.audit.append(
      { type: 'incident.resolved', host: snapshot.host, incident_id: id, data: { signal, value } },
      at,
    );
    await deps.events.publish({ type: 'incident.resolved', host: snapshot.host, incident_id: id, signal, value });
  }
}

async function autoHeal(
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
    const claimed = await deps.actions.enqueue({
      key,
      host: decision.host,
      trigger: 'auto_heal',
      approval_id: null,
      incident_ids: [incident.id],
      actions: [{ id: action.id, params: action.params }],
      enqueued_at: at.toISOString(),
    });
    if (!claimed) continue;
    const timeout = deps.policy.actions[action.id]?.timeout ?? 0;
    await recordAutoHeal(
      deps.redis,
      decision.host,
      action.id,
      key,
      at.getTime(),
      at.getTime() + timeout + IN_FLIGHT_MARGIN_MS,
    );
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

async function escalate(
  deps: PipelineDeps,
  decision: Decision,
  incidents: readonly OpenedIncident[],
  at: Date,
): Promise<void> {
  if (decision.rule === 'breaker_host' || decision.rule === 'breaker_fleet') await announceBreaker(deps, decision, at);
  const actions = decision.actions.filter((a) => a.signal !== FIREWALL);
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
