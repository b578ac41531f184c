import { ApprovalError } from '../approvals/service.js';
import { decide, holdAutoHeal } from '../core/decide/decide.js';
import type { Decision } from '../core/decide/types.js';
import { conditionHolds } from '../core/policy/conditions.js';
import type { Snapshot } from '../core/snapshot/schema.js';
import { crashPoint } from '../crash-point.js';
import { releaseAutoHeal, reserveAutoHeal } from './auto-heal.js';
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
import {
  changeIncidents,
  decisionRecorded,
  plannedIncidentId,
  SupersededError,
  type OpenedIncident,
  type Position,
} from './incidents.js';

/**
 * What a decision would open, planned before anything is written: one
 * already open is not new, and a new one gets its id now. The context was
 * read under this batch's claim on the host, so nothing else opens its
 * incidents in between.
 */
function planIncidents(
  decided: Decision,
  context: HostContext,
  position: Position,
): (OpenedIncident & { condition: Decision['signals'][number] })[] {
  return decided.signals
    .filter((s) => s.signal !== FIREWALL_SIGNAL)
    .map((condition) => {
      const id = plannedIncidentId(decided.host, condition.signal, position);
      return { id, signal: condition.signal, isNew: !context.openIncidents.includes(condition.signal), condition };
    });
}

/**
 * One snapshot through the pipeline: decide, keep the host's state, open and
 * resolve incidents; what they ask for (an auto-heal job, an approval
 * request, or nothing) follows from the event the change writes. Only what
 * changes is audited and announced: each change writes its event, which the
 * follow-up, the audit and chat consume.
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
  const decided = decide(effective, classifier, policy, { ...context, breakersReserved: true });
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
  // The breakers' slots are taken first, under the ids the new incidents will have, so that the
  // decision that opens them (and goes to the audit with them, in the same step) is the final one.
  const planned = planIncidents(decided, context, position);
  const hold = decided.decision === 'AUTO_HEAL' ? await reserveAutoHeal(deps, decided, planned, at) : undefined;
  const decision = hold ? holdAutoHeal(decided, hold) : decided;
  const { opened: incidents } = await changeIncidents(
    redis,
    snapshot.host,
    {
      open: planned.map((p) => ({ ...p.condition, id: p.id })),
      resolve: cleared.map((signal) => ({ signal, value: snapshot[signal] })),
      opening: decisionRecorded(snapshot.host, decision, effective, firewall.length > 0),
    },
    at,
    position,
  ).catch(async (err: unknown) => {
    // The snapshot still joins the trend; superseded by a later batch, it opened nothing and its slots go back.
    record(decided);
    if (err instanceof SupersededError && decision.decision === 'AUTO_HEAL')
      await releaseAutoHeal(deps, decision, planned);
    throw err;
  });
  crashPoint('incident.opened');
  if (incidents.some((i, n) => i.isNew !== planned[n]!.isNew || (i.isNew && i.id !== planned[n]!.id)))
    throw new Error(`the incidents of ${snapshot.host} changed while its snapshot was decided; deciding it again`);
  record(decision);

  // What new incidents ask for (a heal, an approval request) follows from the event their opening wrote
  // (src/pipeline/follow-up.ts); incidents open already may ask for a new request once theirs expired.
  if (decision.decision === 'HITL_REQUIRED' && !incidents.some((i) => i.isNew))
    await escalate(deps, decision, incidents);
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
