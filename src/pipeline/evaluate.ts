import { ApprovalError } from '../approvals/service.js';
import { decide, holdAutoHeal } from '../core/decide/decide.js';
import type { Decision } from '../core/decide/types.js';
import { conditionHolds } from '../core/policy/conditions.js';
import type { Snapshot } from '../core/snapshot/schema.js';
import { autoHeal, reserveAutoHeal } from './auto-heal.js';
import type { PipelineDeps } from './deps.js';
import { escalate } from './escalate.js';
import {
  doneWithFirewallRequest,
  FIREWALL_SIGNAL,
  firewallParams,
  parseFirewallRequest,
  requesterOf,
} from './firewall.js';
import type { HostContext, StateWrites } from './host-state.js';
import { changeIncidents, markAnnounced, markAudited, type Position } from './incidents.js';

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
 *
 * A record-only context (a later batch claimed the host, or an earlier
 * attempt of this batch decided the snapshot) only records it; `position`
 * makes the incident change throw SupersededError when a later batch claims
 * the host while this snapshot is being decided.
 */
export async function evaluateSnapshot(
  deps: PipelineDeps,
  snapshot: Snapshot,
  context: HostContext,
  writes: StateWrites,
  position: Position,
): Promise<boolean> {
  const { redis, classifier, policy } = deps;
  const at = deps.now();
  const firewall = context.firewallRequests.map((raw) => ({ raw, request: parseFirewallRequest(raw) }));
  const effective: Snapshot = firewall.length > 0 ? { ...snapshot, firewall_change_requested: 1 } : snapshot;
  // An incident whose announcement was cut short is decided as not yet open, so that its actions are proposed again.
  const decided = decide(effective, classifier, policy, {
    ...context,
    openIncidents: context.openIncidents.filter((s) => !context.takeover.some((t) => t.signal === s)),
    breakersReserved: true,
  });
  const record = (d: Decision) => {
    writes.add(effective, d, at.getTime());
    deps.onDecision?.(d);
  };
  const quiet =
    context.recordOnly ||
    (decided.decision === 'NO_ACTION' &&
      decided.signals.length === 0 &&
      context.openIncidents.length === 0 &&
      firewall.length === 0);
  if (quiet) {
    record(decided);
    return false;
  }

  const cleared = context.openIncidents.filter((s) => !conditionHolds(policy.signals[s], snapshot[s]));
  const { opened: incidents, resolved } = await changeIncidents(
    redis,
    snapshot.host,
    {
      open: decided.signals.filter((s) => s.signal !== FIREWALL_SIGNAL),
      resolve: cleared.map((signal) => ({ signal, value: snapshot[signal] })),
      takeover: context.takeover,
    },
    at,
    position,
  ).catch((err: unknown) => {
    // Superseded by a later batch: the snapshot still joins the trend.
    record(decided);
    throw err;
  });
  for (const { id, signal, value } of resolved) {
    await deps.audit.append(
      { type: 'incident.resolved', host: snapshot.host, incident_id: id, data: { signal, value } },
      at,
    );
    await deps.events.publish({ type: 'incident.resolved', host: snapshot.host, incident_id: id, signal, value });
  }

  // The breakers' slots are taken now, atomically: the decision says what they allowed.
  const hold = decided.decision === 'AUTO_HEAL' ? await reserveAutoHeal(deps, decided, incidents, at) : undefined;
  const decision = hold ? holdAutoHeal(decided, hold) : decided;
  record(decision);

  const fresh = incidents.filter((i) => i.isNew);
  const unaudited = fresh.filter((i) => !i.audited);
  if (unaudited.length > 0 || firewall.length > 0) {
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
    for (const incident of unaudited) {
      await deps.audit.append(
        { type: 'incident.opened', host: snapshot.host, incident_id: incident.id, data: { signal: incident.signal } },
        at,
      );
    }
    await markAudited(
      redis,
      unaudited.map((i) => i.id),
    );
  }

  if (decision.decision === 'AUTO_HEAL') await autoHeal(deps, decision, incidents, at);
  if (decision.decision === 'HITL_REQUIRED') await escalate(deps, decision, incidents, at);
  await markAnnounced(
    redis,
    fresh.map((i) => i.id),
  );
  // Whatever the rest of the snapshot says, each firewall request goes to humans.
  const firewallAction = decision.actions.find((a) => a.signal === FIREWALL_SIGNAL)?.id;
  // A request that cannot become an approval now (Redis failed under it) stays pending and is asked
  // again by the batch's retry or the host's next snapshot; one that never can is audited, then removed.
  let retry: Error | undefined;
  for (const { raw, request } of firewall) {
    try {
      if (!firewallAction) throw new ApprovalError(`the policy proposes no action for ${FIREWALL_SIGNAL}`);
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
      if (!(err instanceof ApprovalError)) {
        deps.logger.error({ err, request }, 'firewall request could not become an approval yet; it stays pending');
        retry ??= err instanceof Error ? err : new Error(String(err));
        continue;
      }
      deps.logger.error({ err, request }, 'firewall request cannot become an approval; refused');
      await deps.audit.append(
        {
          type: 'firewall.requested',
          host: snapshot.host,
          actor: request.requested_by,
          outcome: 'refused',
          notes: err.message,
          data: { ...request },
        },
        at,
      );
    }
    await doneWithFirewallRequest(redis, snapshot.host, raw);
  }
  if (retry !== undefined) throw retry;
  return true;
}
