import type { Redis } from 'ioredis';
import { snapshotSchema, type Snapshot } from '../core/snapshot/schema.js';
import { crashPoint } from '../crash-point.js';
import type { EventLog } from '../events/log.js';
import type { ActionResultEvent, VerifyResult } from '../events/types.js';
import type { Logger } from '../log.js';
import { freeSlot } from '../breakers/slots.js';
import { keys } from '../redis/keys.js';
import type { JobVerifier } from '../actions/signing.js';
import type { ActionReport, RefusalReport } from '../reports/schema.js';
import { describeVerify, escalateNotRecovered, valueBefore, verifyResult, type EscalationDeps } from './verify.js';

/** As long as a report may be delivered again (the agents' run records live as long). */
const REPORT_TTL_S = 30 * 86_400;

export interface ActionReportDeps extends EscalationDeps {
  readonly events: EventLog;
  readonly logger: Logger;
  /** The bot's own signatures: a result counts only for a job the bot issued. */
  readonly verifier: JobVerifier;
}

/** The agent's run as the bot words it: verification judged against what made the action necessary. */
export async function resultOfReport(deps: ActionReportDeps, report: ActionReport): Promise<ActionResultEvent> {
  const { job, run } = report;
  const { reading, ...rest } = run;
  const base: ActionResultEvent = {
    type: 'action.result',
    ...rest,
    incident_ids: [...run.incident_ids],
    verify: null,
    duration_ms: report.duration_ms,
  };
  if (!reading) return base;
  const before = (await valueBefore(deps.redis, job, reading.signal)) ?? reading.before;
  if (before === null) return { ...base, detail: `${job.actions.map((a) => a.id).join(', ')} ran successfully.` };
  const verify = verifyResult(deps.policy, reading.signal, before, reading.after);
  const detail = verify.recovered
    ? `${describeVerify(verify)}: recovered.`
    : job.trigger === 'auto_heal'
      ? `${describeVerify(verify)}: auto-heal did not help; a human is asked to decide.`
      : `${describeVerify(verify)}: did not recover.`;
  return { ...base, verify, detail };
}

/**
 * Why a report on `host`'s stream is not that host's agent's result of a job
 * the bot issued to it, if it is not. Expiry does not count here: a job that
 * ran in time may report late.
 */
export function foreignReport(
  deps: ActionReportDeps,
  host: string,
  id: string,
  report: ActionReport,
): string | undefined {
  if (report.job.host !== host || report.run.host !== host)
    return `it names ${report.job.host}'s job ${report.job.key}`;
  if (report.run.job_id !== report.job.key || id !== report.job.key) return `it reports ${report.run.job_id} as ${id}`;
  const refusal = deps.verifier.refusal(report.job, host, new Date(0));
  return refusal ? `its job was not issued by the bot: ${refusal}` : undefined;
}

/**
 * A job that was not run because the bot did not issue it for that host (or
 * a report the bot would not take): its `action.refused` event (which the
 * audit records) written once per report id, so that someone writing to a
 * host's queue or stream is seen.
 */
export async function auditRefusal(
  deps: ActionReportDeps,
  host: string,
  id: string,
  refusal: RefusalReport,
): Promise<void> {
  const marker = keys.report(host, id);
  const written = await deps.events.publishOnce(
    { key: marker, field: 'published', ttlS: REPORT_TTL_S },
    {
      type: 'action.refused',
      host,
      job_id: refusal.job_id,
      reason: refusal.reason,
      actions: [...(refusal.claimed.actions ?? [])],
      approval_id: refusal.claimed.approval_id ?? null,
      claimed_host: refusal.claimed.host ?? null,
    },
  );
  if (written)
    deps.logger.error(
      { host, job: refusal.job_id, reason: refusal.reason },
      'refused an action job the bot did not issue',
    );
  await deps.redis.hset(marker, 'done', '1');
}

/**
 * One action report, once per report id however often it is delivered: its
 * `action.result` event (which chat shows and the audit records), the
 * host's auto-heal no longer in flight, and the escalation of a heal that
 * did not help. Each step is marked done as it completes, so a delivery
 * after a crash takes up where the last one stopped. Returns undefined for a
 * report handled before.
 */
export async function handleActionReport(
  deps: ActionReportDeps,
  host: string,
  id: string,
  report: ActionReport,
): Promise<ActionResultEvent | undefined> {
  const { job } = report;
  const marker = keys.report(host, id);
  if (await deps.redis.hget(marker, 'done')) return undefined;
  const result = await resultOfReport(deps, report);
  await deps.events.publishOnce({ key: marker, field: 'published', ttlS: REPORT_TTL_S }, result);
  crashPoint('report.published');
  // Its breaker slot (an auto-heal's, or an approved safe action's) is free again.
  await freeSlot(deps.redis, job.host, job.key);
  if (needsHuman(result)) await escalateNotRecovered(deps, job, result.verify, await afterOf(deps.redis, report));
  await deps.redis.hset(marker, 'done', '1');
  return result;
}

/** An auto-heal that ran and left its signal where it was goes to humans (after its result, so chat shows them in order). */
function needsHuman(result: ActionResultEvent): result is ActionResultEvent & { verify: VerifyResult } {
  return result.trigger === 'auto_heal' && result.outcome === 'success' && result.verify?.recovered === false;
}

/** What verification measured; the host's latest snapshot when an older agent's report carries none. */
async function afterOf(redis: Redis, report: ActionReport): Promise<Snapshot> {
  if (report.after) return report.after;
  const latest = await redis.hget(keys.host(report.job.host), 'snapshot');
  const parsed = latest ? snapshotSchema.safeParse(JSON.parse(latest)) : undefined;
  if (!parsed?.success) throw new Error(`no snapshot of ${report.job.host} to escalate ${report.job.key} with`);
  return parsed.data;
}
