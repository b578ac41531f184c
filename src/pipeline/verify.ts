import type { Redis } from 'ioredis';
import type { ActionJob } from '../actions/queues.js';
import type { ApprovalService } from '../approvals/service.js';
import { decide } from '../core/decide/decide.js';
import type { Decision } from '../core/decide/types.js';
import type { SeverityClassifier } from '../core/model/classifier.js';
import { conditionHolds } from '../core/policy/conditions.js';
import type { Policy } from '../core/policy/policy.js';
import { snapshotSchema, type Signal, type Snapshot } from '../core/snapshot/schema.js';
import type { VerifyResult } from '../events/types.js';
import { readContext } from './host-state.js';
import { incidentRecords, linkApproval } from './incidents.js';
import { keys } from '../redis/keys.js';

/**
 * The value that made the action necessary: what the incident opened at,
 * else the host's latest snapshot. Undefined when neither is known (the
 * caller measures it then).
 */
export async function valueBefore(redis: Redis, job: ActionJob, signal: Signal): Promise<number | undefined> {
  const incidents = await incidentRecords(redis, job.incident_ids);
  const opened = incidents.find((r) => r.signal === signal && r.value !== undefined);
  if (opened) return Number(opened.value);
  const latest = await redis.hget(keys.host(job.host), 'snapshot');
  const parsed = latest ? snapshotSchema.safeParse(JSON.parse(latest)) : undefined;
  return parsed?.success ? parsed.data[signal] : undefined;
}

export function verifyResult(policy: Policy, signal: Signal, before: number, after: number): VerifyResult {
  const condition = policy.signals[signal];
  return { signal, before, after, threshold: condition.threshold, recovered: !conditionHolds(condition, after) };
}

export function describeVerify(v: VerifyResult): string {
  return `${v.signal} ${v.before} → ${v.after}`;
}

/** The decision that sends a heal that did not help to humans, with the re-measured snapshot's evidence. */
export function notRecoveredDecision(base: Decision, v: VerifyResult, actions: readonly string[]): Decision {
  return {
    ...base,
    decision: 'HITL_REQUIRED',
    severity: 2,
    rule: 'not_recovered',
    reasons: [
      `auto-heal did not help: ${describeVerify(v)}`,
      `${actions.join(', ')} ran, but ${v.signal} is still past ${v.threshold}: run again or investigate`,
      ...base.reasons.filter((r) => !r.startsWith('model says')),
    ],
  };
}

export interface EscalationDeps {
  readonly redis: Redis;
  readonly policy: Policy;
  readonly classifier: SeverityClassifier;
  readonly approvals: ApprovalService;
  readonly now: () => Date;
}

/**
 * An auto-heal whose signal did not recover becomes an approval request
 * (audited and announced by the approval service), keyed by its incident so
 * that a replay asks once. Returns the approval id.
 */
export async function escalateNotRecovered(
  deps: EscalationDeps,
  job: ActionJob,
  v: VerifyResult,
  after: Snapshot,
): Promise<string> {
  const context = await readContext(deps.redis, job.host, deps.now().getTime());
  const decision = notRecoveredDecision(
    decide(after, deps.classifier, deps.policy, context),
    v,
    job.actions.map((a) => a.id),
  );
  const approval = await deps.approvals.request({
    key: `${job.incident_ids[0] ?? job.key}/not-recovered`,
    host: job.host,
    decision,
    actions: job.actions,
    incident_ids: job.incident_ids,
  });
  await linkApproval(deps.redis, job.incident_ids, approval.id);
  return approval.id;
}
