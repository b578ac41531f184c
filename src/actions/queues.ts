import { Queue, type ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { keys, queues } from '../redis/keys.js';
import { z } from 'zod';
import type { ParamValue } from '../core/policy/params.js';
import { hostSchema } from '../core/snapshot/schema.js';
import type { JobSigner, SignedActionJob } from './signing.js';

/** As long as the queues keep finished jobs: a replay within that time still finds its run. */
export const RUN_TTL_S = 30 * 86_400;

export interface ActionJob {
  /** Idempotency key: the approval id, or incident + action for an auto-heal. */
  readonly key: string;
  readonly host: string;
  readonly trigger: 'auto_heal' | 'approval';
  readonly approval_id: string | null;
  readonly incident_ids: readonly string[];
  readonly actions: readonly { readonly id: string; readonly params: Readonly<Record<string, ParamValue>> }[];
  readonly enqueued_at: string;
}

/**
 * An action job as read back from Redis: checked again, since the agent acts
 * on it, and its signature checked after that (src/actions/signing.ts).
 */
export const actionJobSchema = z.strictObject({
  key: z.string().min(1).max(200),
  host: hostSchema,
  trigger: z.enum(['auto_heal', 'approval']),
  approval_id: z.string().min(1).max(200).nullable(),
  incident_ids: z.array(z.string().min(1).max(200)).max(32),
  actions: z
    .array(
      z.strictObject({
        id: z.string().min(1).max(64),
        params: z.record(z.string(), z.union([z.string(), z.number(), z.array(z.string())])),
      }),
    )
    .min(1)
    .max(16),
  enqueued_at: z.string(),
  expires_at: z.iso.datetime(),
  signature: z.string().regex(/^[A-Za-z0-9+/]{86}==$/, { error: 'expected an Ed25519 signature (base64)' }),
}) satisfies z.ZodType<SignedActionJob>;

/**
 * The per-host action queues. The job id is the idempotency key, so a
 * replayed batch, a second replica or a retried approval cannot enqueue the
 * same work twice; finished jobs are kept long enough for that to hold.
 */
export class ActionQueues {
  private readonly open = new Map<string, Queue<SignedActionJob>>();

  constructor(
    private readonly connection: ConnectionOptions,
    private readonly redis: Redis,
    private readonly signer: JobSigner,
  ) {}

  queue(host: string): Queue<SignedActionJob> {
    let q = this.open.get(host);
    if (!q) {
      q = new Queue<SignedActionJob>(queues.actions(host), { connection: this.connection });
      this.open.set(host, q);
    }
    return q;
  }

  /**
   * Adds the job unless its key was seen before. Returns true for the one
   * call that first enqueued it (that caller audits and announces it). The
   * job is added before the claim is taken, so a crash in between can lose
   * an announcement but never the work. Signed as of its enqueue time, so
   * that a retry puts the very same job on the queue.
   */
  async enqueue(job: ActionJob): Promise<boolean> {
    await this.queue(job.host).add('run', this.signer.sign(job, new Date(job.enqueued_at)), {
      jobId: job.key,
      attempts: 1,
      removeOnComplete: { age: RUN_TTL_S },
      removeOnFail: { age: RUN_TTL_S },
    });
    return (await this.redis.set(keys.enqueued(job.key), job.enqueued_at, 'EX', RUN_TTL_S, 'NX')) === 'OK';
  }

  async depths(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const [host, q] of this.open) out[host] = await q.count();
    return out;
  }

  async close(): Promise<void> {
    await Promise.all([...this.open.values()].map((q) => q.close()));
  }
}
