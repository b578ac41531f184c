import { randomBytes } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { IngestEntry } from './signals.js';
import type { Redis } from 'ioredis';
import type { RedisClock } from '../redis/clock.js';
import type { Deadline } from '../redis/deadline.js';
import { keys } from '../redis/keys.js';
import { LuaScript } from '../redis/lua.js';

export interface IngestJob {
  /** Readings and triggers (see IngestEntry); named for what they were when every entry was a snapshot. */
  readonly snapshots: readonly IngestEntry[];
  readonly received_at: string;
  /**
   * Set by the HTTP ingest: the batch counts only once committed before
   * `deadline` (ms, Redis's clock; see ingest-commit.lua). Agents' jobs
   * have none: they wait for their add as long as it takes.
   */
  readonly commit?: { readonly token: string; readonly deadline: number };
}

/**
 * A mark lives until its job is decided (forgetCommit), so marks number
 * about as many as jobs waiting; this only bounds one whose job never
 * comes. A job waiting longer than this in the queue is refused.
 */
const COMMIT_MARK_SECONDS = 86_400;

/**
 * How every producer (the HTTP ingest, agents) adds ingest jobs. A batch
 * that fails part-way (Redis went away mid-batch) is retried rather than
 * dropped: 202 meant the snapshots will be decided. A retry skips what an
 * earlier attempt decided (the worker keeps each host's progress), finishes
 * an announcement that was cut short (incidents-change.lua), and, if a
 * later batch has overtaken it, only adds to the trend.
 */
export const INGEST_JOB_OPTIONS = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: 1000,
  removeOnFail: 5000,
} as const;

export interface IngestOptions {
  /** Snapshots per job at most. */
  readonly maxBatch: number;
  /** How long a lone snapshot waits for company before its job is written. */
  readonly lingerMs: number;
}

interface Waiting {
  readonly snapshots: readonly IngestEntry[];
  readonly deadline: Deadline;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

export class IngestUnavailableError extends Error {
  override readonly name = 'IngestUnavailableError';
}

/**
 * Micro-batching in front of the ingest queue: requests arriving within a
 * few milliseconds share one BullMQ job, so throughput is not bounded by one
 * Redis round trip per snapshot. A submit resolves only once its job is in
 * Redis and committed: "accepted" means durable. It rejects when its
 * deadline comes first, and then its job, should Redis write it later, is
 * never decided: "refused" means nothing was taken.
 */
export class Ingest {
  private waiting: Waiting[] = [];
  private size = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly queue: Queue<IngestJob>,
    /** The queue's own connection: its commands wait for a reconnect, and the deadline bounds them. */
    private readonly redis: Redis,
    private readonly clock: RedisClock,
    private readonly options: IngestOptions,
    private readonly now: () => Date = () => new Date(),
  ) {}

  submit(snapshots: readonly IngestEntry[], deadline: Deadline): Promise<void> {
    if (deadline.expired) return Promise.reject(new IngestUnavailableError('the request ran out of time'));
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ snapshots, deadline, resolve, reject });
      this.size += snapshots.length;
      if (this.size >= this.options.maxBatch) void this.flush();
      else this.timer ??= setTimeout(() => void this.flush(), this.options.lingerMs);
    });
  }

  private async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.waiting;
    this.waiting = [];
    this.size = 0;
    if (batch.length === 0) return;
    const snapshots = batch.flatMap((w) => w.snapshots);
    // The batch answers when its most hurried request must.
    const deadline = batch.reduce((a, w) => (w.deadline.atMs < a.atMs ? w.deadline : a), batch[0]!.deadline);
    const commit = { token: randomBytes(12).toString('hex'), deadline: deadline.redisMs(this.clock.toRedis) };
    try {
      await deadline.race(
        this.queue.add('batch', { snapshots, received_at: this.now().toISOString(), commit }, INGEST_JOB_OPTIONS),
      );
      // After the add's reply, never beside it: a commit must not be taken for a job that is not there yet.
      if (!(await deadline.race(runCommit(this.redis, commit, 'commit'))))
        throw new Error('Redis took the batch after its deadline');
      batch.forEach((w) => w.resolve());
    } catch (err) {
      const error = new IngestUnavailableError(`could not queue snapshots: ${(err as Error).message}`);
      batch.forEach((w) => w.reject(error));
    }
  }
}

async function runCommit(
  redis: Redis,
  commit: NonNullable<IngestJob['commit']>,
  mode: 'commit' | 'settle',
): Promise<boolean | undefined> {
  const reply = await (
    await LuaScript.load('ingest-commit')
  ).run(redis, [keys.ingestCommit(commit.token)], [commit.deadline, mode, COMMIT_MARK_SECONDS]);
  return reply === -1 ? undefined : reply === 1;
}

/** How often the worker asks again about a batch whose producer may still commit it. */
const SETTLE_POLL_MS = 25;

/**
 * Whether a job's snapshots may be decided: a job the HTTP ingest did not
 * commit before its deadline is not. Waits for the producer's verdict only
 * until that deadline passes on Redis's clock (seconds at most).
 */
export async function committed(redis: Redis, job: IngestJob): Promise<boolean> {
  if (!job.commit) return true;
  for (;;) {
    const verdict = await runCommit(redis, job.commit, 'settle');
    if (verdict !== undefined) return verdict;
    await new Promise((r) => setTimeout(r, SETTLE_POLL_MS));
  }
}

/**
 * Once a job is decided its mark goes: should the job run again (the bot
 * killed before BullMQ recorded it as done), it is refused, and everything
 * it had to write was written.
 */
export async function forgetCommit(redis: Redis, job: IngestJob): Promise<void> {
  if (job.commit) await redis.del(keys.ingestCommit(job.commit.token));
}
