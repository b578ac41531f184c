import { UnrecoverableError } from 'bullmq';
import { actionJobSchema } from '../actions/queues.js';
import type { JobVerifier, SignedActionJob } from '../actions/signing.js';
import type { ExecutionMode } from '../config/types.js';
import type { Policy } from '../core/policy/policy.js';
import { buildCommand } from '../core/policy/command.js';
import type { Snapshot } from '../core/snapshot/schema.js';
import type { ActionOutcome } from '../events/types.js';
import type { Logger } from '../log.js';
import type { AgentRun, RefusalReport, VerifyReading } from '../reports/schema.js';
import type { ReportWriter } from '../reports/writer.js';
import type { Collector } from './collector.js';
import { notRun, runSteps } from './executor.js';
import type { OrphanRun, RunRecords } from './runs.js';
import { verifyPlan } from './verify.js';

export interface ActionJobDeps {
  readonly policy: Policy;
  readonly now: () => Date;
  readonly host: string;
  readonly mode: ExecutionMode;
  readonly collector: Collector;
  readonly runs: RunRecords;
  /** The bot's public key: only jobs it signed for this host run. */
  readonly verifier: JobVerifier;
  /** Where results go: the bot audits, announces and escalates them (src/pipeline/action-report.ts). */
  readonly reports: ReportWriter;
  readonly logger: Logger;
  /** The re-measured snapshot after a heal goes to the bot like any poll, so a recovery resolves the incident. */
  readonly push: (snapshot: Snapshot) => Promise<void>;
  /** Called with every result this agent reports (metrics). */
  readonly onResult?: (result: AgentRun, durationMs: number) => void;
  readonly sleep: (ms: number) => Promise<void>;
}

type StepsRun = AgentRun['actions'][number];

/**
 * One action job, exactly once: validated, claimed by its idempotency key,
 * run (or, in dry-run, described), re-measured, and reported to the bot.
 * A delivery of a key that already ran reports nothing new and returns the
 * earlier result.
 */
export async function handleActionJob(deps: ActionJobDeps, data: unknown, jobId: string): Promise<AgentRun | Refused> {
  const parsed = actionJobSchema.safeParse(data);
  const refusal = parsed.success
    ? deps.verifier.refusal(parsed.data, deps.host, deps.now())
    : `it is not a signed action job (${formatIssue(parsed.error.issues[0])})`;
  if (!parsed.success || refusal) return refuse(deps, jobId, data, refusal ?? 'invalid');
  const job = parsed.data;

  const started = deps.now().getTime();
  const state = await deps.runs.claim(job.key, started);
  if (state.state === 'done') {
    if (!state.reported) await report(deps, job, state.result, 0);
    deps.logger.info({ job: job.key, outcome: state.result.outcome }, 'action job already ran: not run again');
    return state.result;
  }
  if (state.state === 'withdrawn') {
    deps.logger.warn({ job: job.key }, 'action job was withdrawn by the bot before this agent took it: not run');
    throw new UnrecoverableError(`${job.key} was withdrawn: no agent took it in time, a human decides now`);
  }
  // Redelivered while this very process still runs it (its lock lapsed in a stall): that run will report.
  if (state.state === 'running' && state.instance === deps.runs.instance)
    throw new Error(`${job.key} is still running in this agent`);
  if (state.state === 'running') return reportUnknown(deps, job, state);

  const { result, after } = await execute(deps, job).catch((err: unknown): Executed => {
    // Whatever ran may have had its effect: say so, rather than leave the run unreported until a restart.
    deps.logger.error({ err, job: job.key }, 'action job broke off');
    return {
      result: unknownResult(
        deps,
        job,
        `The agent broke off ${names(job)} (${err instanceof Error ? err.message : String(err)}): its effect is unknown. Check ${job.host}.`,
      ),
    };
  });
  await deps.runs.finish(job.key, result);
  await report(deps, job, result, deps.now().getTime() - started, after);
  return result;
}

/** What a refused job's queue entry returns: nothing ran, and the bot was told. */
export interface Refused {
  readonly refused: string;
}

/**
 * Someone other than the bot wrote this job (or it is another host's, or
 * too old): it is not run, not even claimed (a forged job must not block
 * the real one of that key), and the bot audits the refusal.
 */
async function refuse(deps: ActionJobDeps, jobId: string, data: unknown, reason: string): Promise<Refused> {
  const claimed = claimedBy(data);
  deps.logger.error({ job: jobId, reason, claimed }, 'refused an action job the bot did not issue for this host');
  await deps.reports.refused({ job_id: jobId.slice(0, 200), reason: reason.slice(0, 500), claimed });
  return { refused: reason };
}

/** What an unverified job says about itself, cut to size: only for the audit. */
function claimedBy(data: unknown): RefusalReport['claimed'] {
  if (data === null || typeof data !== 'object') return {};
  const d = data as Record<string, unknown>;
  const idOf = (a: unknown) => {
    const id = (a as { id?: unknown } | null)?.id;
    return typeof id === 'string' ? id.slice(0, 64) : '?';
  };
  const actions = Array.isArray(d.actions) ? d.actions.slice(0, 16).map(idOf) : undefined;
  return {
    ...(typeof d.host === 'string' ? { host: d.host.slice(0, 200) } : {}),
    ...(actions ? { actions } : {}),
    ...(typeof d.approval_id === 'string' ? { approval_id: d.approval_id.slice(0, 200) } : {}),
  };
}

function formatIssue(issue: { path: PropertyKey[]; message: string } | undefined): string {
  return issue ? `${issue.path.map(String).join('.') || 'job'}: ${issue.message}` : 'invalid';
}

/** A run this host's agent started and never finished: its effect is unknown, and it is not run again. */
async function reportUnknown(
  deps: ActionJobDeps,
  job: SignedActionJob,
  run: Pick<OrphanRun, 'started_at'>,
): Promise<AgentRun> {
  const result = unknownResult(
    deps,
    job,
    `The agent stopped while ${names(job)} was running (started ${new Date(run.started_at).toISOString()}): it was not run again, so its effect is unknown. Check ${job.host}.`,
  );
  await deps.runs.finish(job.key, result);
  await report(deps, job, result, 0);
  return result;
}

/** At start: runs a previous agent of this host left unfinished, reported as unknown before any job is taken. */
export async function reportOrphans(deps: ActionJobDeps, readJob: (key: string) => Promise<unknown>): Promise<number> {
  const orphans = await deps.runs.orphans();
  for (const orphan of orphans) {
    const parsed = actionJobSchema.safeParse(await readJob(orphan.key));
    if (parsed.success) await reportUnknown(deps, parsed.data, orphan);
    else deps.logger.error({ job: orphan.key }, 'unfinished run whose job is gone: cannot report it');
  }
  return orphans.length;
}

/** A run's result, and the snapshot its verification measured (the evidence if it goes to humans). */
interface Executed {
  readonly result: AgentRun;
  readonly after?: Snapshot;
}

async function execute(deps: ActionJobDeps, job: SignedActionJob): Promise<Executed> {
  // Every parameter is validated against the policy before anything runs: one bad action refuses the job.
  const commands = job.actions.map((a) => ({ id: a.id, command: buildCommand(deps.policy, a.id, a.params) }));
  const refused = commands.flatMap((c) => (c.command.ok ? [] : [c.command.error]));
  if (refused.length > 0) {
    deps.logger.warn({ job: job.key, refused }, 'action job refused before execution');
    return {
      result: resultOf(
        deps,
        job,
        'failure',
        commands.map((c) => ({ id: c.id, outcome: 'failure', steps: [] })),
        null,
        `Refused before running anything: ${refused.join('; ')}.`,
      ),
    };
  }
  // The bot judges against what made the action necessary; this reading is only its fallback, so it may fail.
  const plan = deps.mode === 'live' ? verifyPlan(deps.policy, job) : undefined;
  const before = plan
    ? await deps.collector.signal(plan.signal).catch((err: unknown) => {
        deps.logger.warn({ err, job: job.key }, 'could not measure before the action');
        return null;
      })
    : null;

  const reports: StepsRun[] = [];
  for (const { id, command } of commands) {
    if (!command.ok) continue;
    const failedEarlier = reports.some((r) => r.outcome === 'failure');
    const ran = failedEarlier
      ? { outcome: 'failure' as const, steps: command.value.steps.map(notRun) }
      : await runSteps(command.value.steps, command.value.timeoutMs, deps.mode);
    reports.push({ id, outcome: ran.outcome, steps: ran.steps });
  }
  const outcome: ActionOutcome =
    deps.mode === 'dry-run' ? 'dry_run' : reports.some((r) => r.outcome === 'failure') ? 'failure' : 'success';
  if (outcome === 'dry_run') {
    const n = reports.reduce((sum, r) => sum + r.steps.length, 0);
    return {
      result: resultOf(
        deps,
        job,
        outcome,
        reports,
        null,
        `Dry run: would run ${n} command${n === 1 ? '' : 's'}; nothing was run.`,
      ),
    };
  }
  if (outcome === 'failure') return { result: resultOf(deps, job, outcome, reports, null, failureDetail(reports)) };

  if (!plan) return { result: resultOf(deps, job, outcome, reports, null, `${names(job)} ran successfully.`) };
  await deps.sleep(plan.afterMs);
  const after = await deps.collector.snapshot();
  const reading: VerifyReading = { signal: plan.signal, before, after: after[plan.signal] };
  await deps.push(after);
  const detail = `${names(job)} ran; ${plan.signal} measured ${reading.after} afterwards.`;
  return { result: resultOf(deps, job, outcome, reports, reading, detail), after };
}

const names = (job: SignedActionJob) => job.actions.map((a) => a.id).join(', ');

function failureDetail(reports: readonly StepsRun[]): string {
  const failed = reports.find((r) => r.outcome === 'failure');
  const step = failed?.steps.find((s) => s.exit_code !== 0);
  if (!failed || !step) return 'The action failed.';
  const how = step.timed_out
    ? `timed out after ${Math.round(step.duration_ms / 1000)}s`
    : step.exit_code === null
      ? `could not run (${step.output.split('\n').at(-1) ?? 'error'})`
      : `exited ${step.exit_code}`;
  return `${failed.id} failed: ${step.argv[0] ?? ''} ${how}; later steps were not run.`;
}

function unknownResult(deps: ActionJobDeps, job: SignedActionJob, detail: string): AgentRun {
  const actions = job.actions.map((a): StepsRun => ({ id: a.id, outcome: 'unknown', steps: [] }));
  return resultOf(deps, job, 'unknown', actions, null, detail);
}

function resultOf(
  deps: ActionJobDeps,
  job: SignedActionJob,
  outcome: ActionOutcome,
  actions: StepsRun[],
  reading: VerifyReading | null,
  detail: string,
): AgentRun {
  return {
    host: job.host,
    job_id: job.key,
    trigger: job.trigger,
    approval_id: job.approval_id,
    incident_ids: [...job.incident_ids],
    outcome,
    dry_run: deps.mode === 'dry-run',
    actions,
    reading,
    detail,
  };
}

/**
 * Sends the result to the bot; only then does the run count as reported, so
 * a crash in between reports again (the bot handles each job's report once).
 */
async function report(
  deps: ActionJobDeps,
  job: SignedActionJob,
  result: AgentRun,
  durationMs: number,
  after?: Snapshot,
) {
  await deps.reports.action({ job, run: result, duration_ms: durationMs, ...(after ? { after } : {}) });
  await deps.runs.reported(job.key);
  deps.onResult?.(result, durationMs);
}
