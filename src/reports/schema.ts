import { z } from 'zod';
import { actionJobSchema } from '../actions/queues.js';
import type { SignedActionJob } from '../actions/signing.js';
import { hostSchema, SIGNALS, snapshotSchema } from '../core/snapshot/schema.js';
import type { ActionOutcome, StepResult } from '../events/types.js';

/**
 * What agents tell the bot, and all they tell it: a host's agent writes
 * nothing the bot trusts except these reports, on its own host's streams.
 * The bot reads them as untrusted input (another host's name, a forged job,
 * an oversized step): everything is checked here before it is acted on.
 */

const outcomeSchema = z.enum(['success', 'failure', 'unknown', 'dry_run']) satisfies z.ZodType<ActionOutcome>;

const stepSchema = z.strictObject({
  argv: z.array(z.string().max(4096)).max(256).readonly(),
  exit_code: z.number().int().nullable(),
  timed_out: z.boolean(),
  duration_ms: z.number().min(0),
  output: z.string().max(8192),
}) satisfies z.ZodType<StepResult>;

/** What verification measured on the host; the bot compares it with what made the action necessary. */
export const verifyReadingSchema = z.strictObject({
  signal: z.enum(SIGNALS),
  /** Measured by the agent just before the action (null if that failed): used when the bot has no earlier value. */
  before: z.number().nullable(),
  after: z.number(),
});
export type VerifyReading = z.infer<typeof verifyReadingSchema>;

/** One action job as the agent ran it (or refused, or described in dry-run). */
export const agentRunSchema = z.strictObject({
  job_id: actionJobSchema.shape.key,
  host: hostSchema,
  trigger: actionJobSchema.shape.trigger,
  approval_id: actionJobSchema.shape.approval_id,
  incident_ids: actionJobSchema.shape.incident_ids,
  outcome: outcomeSchema,
  dry_run: z.boolean(),
  actions: z
    .array(
      z.strictObject({ id: z.string().min(1).max(64), outcome: outcomeSchema, steps: z.array(stepSchema).max(64) }),
    )
    .max(16),
  reading: verifyReadingSchema.nullable(),
  /** The agent's sentence; the bot words its own when there is a reading to judge. */
  detail: z.string().max(4000),
});
export type AgentRun = z.infer<typeof agentRunSchema>;

/** An action's result: the job as the agent received it, what ran, and the snapshot verification took. */
export const actionReportSchema = z.strictObject({
  job: actionJobSchema,
  run: agentRunSchema,
  duration_ms: z.number().int().min(0),
  after: snapshotSchema.optional(),
});
export type ActionReport = Omit<z.infer<typeof actionReportSchema>, 'job'> & { readonly job: SignedActionJob };

/** A poll's snapshot, and when the agent beat for it (the bot keeps the fleet's heartbeat index). */
export const snapshotReportSchema = z.strictObject({
  snapshot: snapshotSchema,
  beat_at: z.number().int().min(0),
});
export type SnapshotReport = z.infer<typeof snapshotReportSchema>;

/** A job the agent would not run (unsigned, forged, altered, another host's, expired): nothing ran. */
export const refusalReportSchema = z.strictObject({
  /** The queue's job id (the idempotency key it claimed). */
  job_id: z.string().min(1).max(200),
  reason: z.string().min(1).max(500),
  /** What the refused job claimed, as far as it could be read: for the audit, never acted on. */
  claimed: z.strictObject({
    host: z.string().max(200).optional(),
    actions: z.array(z.string().max(64)).max(16).optional(),
    approval_id: z.string().max(200).nullable().optional(),
  }),
});
export type RefusalReport = z.infer<typeof refusalReportSchema>;
