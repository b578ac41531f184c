import type { Queue } from 'bullmq';
import type { IngestEntry } from './signals.js';

export interface IngestJob {
  /** Readings and triggers (see IngestEntry); named for what they were when every entry was a snapshot. */
  readonly snapshots: readonly IngestEntry[];
  readonly received_at: string;
}

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
  /** A Redis write that takes longer than this fails the request (503) instead of hanging it. */
  readonly timeoutMs: number;
}

interface Waiting {
  readonly snapshots: readonly IngestEntry[];
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
 * Redis: "accepted" means durable.
 */
export class Ingest {
  private waiting: Waiting[] = [];
  private size = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly queue: Queue<IngestJob>,
    private readonly options: IngestOptions,
    private readonly now: () => Date = () => new Date(),
  ) {}

  submit(snapshots: readonly IngestEntry[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ snapshots, resolve, reject });
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
    try {
      await withTimeout(
        this.queue.add('batch', { snapshots, received_at: this.now().toISOString() }, INGEST_JOB_OPTIONS),
        this.options.timeoutMs,
      );
      batch.forEach((w) => w.resolve());
    } catch (err) {
      const error = new IngestUnavailableError(`could not queue snapshots: ${(err as Error).message}`);
      batch.forEach((w) => w.reject(error));
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
