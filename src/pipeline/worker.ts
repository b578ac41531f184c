import { UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { mergeSignals } from '../core/signals/merge.js';
import { queues } from '../redis/keys.js';
import type { PipelineDeps } from './deps.js';
import { evaluateSnapshot } from './evaluate.js';
import { readContext, readContexts, StateWrites, type HostContext } from './host-state.js';
import { SupersededError } from './incidents.js';
import { committed, forgetCommit, type IngestJob } from './ingest.js';
import { mergedSnapshot, parseEntry, type ParsedEntry } from './signals.js';

/**
 * The decision worker. Within a batch, each host's snapshots are evaluated
 * in order and different hosts in parallel; contexts are read for all hosts
 * in one round trip and the hosts' new state written in another.
 *
 * Batches run concurrently (several per worker, several replicas), so a
 * host's next batch may be decided while its previous one still is. Each
 * batch claims its hosts by arrival number; an older batch that finds a
 * newer claim only adds its snapshots to the trend, and never opens,
 * resolves or acts on what the newer snapshots say. A failed batch is
 * retried (INGEST_JOB_OPTIONS); each incident change records how far the
 * host got (incidents-change.lua), so a retry starts again at the last
 * snapshot that changed something, not at the quiet ones before it.
 */
/**
 * A batch's lock, renewed every half of it while the batch runs; a bot
 * killed mid-batch leaves it to lapse, and the next stalled check (by any
 * replica) puts the batch back in the queue: taken over within
 * lockDuration + stalledInterval (15 s), not BullMQ's default 60 s. A renewal
 * needs the event loop to get a turn within 5 s; a batch that misses it
 * runs twice, which its retries already allow (each host's progress is
 * recorded). Two stalls are forgiven: a replica killed twice in a row does
 * not fail a batch that was answered 202.
 */
export const DECISION_WORKER_LOCK = { lockDuration: 10_000, stalledInterval: 5_000, maxStalledCount: 2 } as const;

export function startDecisionWorker(
  deps: PipelineDeps,
  connection: ConnectionOptions,
  concurrency = 4,
): Worker<IngestJob> {
  return new Worker<IngestJob>(queues.ingest, (job) => processBatch(deps, job), {
    connection,
    concurrency,
    ...DECISION_WORKER_LOCK,
  });
}

export async function processBatch(deps: PipelineDeps, job: Job<IngestJob>): Promise<number> {
  if (!(await committed(deps.redis, job.data))) {
    deps.logger.info({ job: job.id }, 'ingest batch written after its request was answered 503; not decided');
    await forgetCommit(deps.redis, job.data);
    return 0;
  }
  const byHost = new Map<string, ParsedEntry[]>();
  const receivedAt = Date.parse(job.data.received_at);
  for (const raw of job.data.snapshots) {
    // Jobs are written by our own ingest, but Redis is not a trust boundary to skip.
    const parsed = parseEntry(raw, Number.isFinite(receivedAt) ? receivedAt : deps.now().getTime());
    if (!parsed) {
      deps.logger.warn({ job: job.id }, 'invalid snapshot in an ingest job; skipped');
      continue;
    }
    const list = byHost.get(parsed.host) ?? [];
    list.push(parsed);
    byHost.set(parsed.host, list);
  }
  const arrival = arrivalOf(job);
  const hosts = [...byHost.keys()];
  const contexts = await readContexts(deps.redis, hosts, deps.now().getTime(), arrival);
  const writes = new StateWrites(arrival);
  // Every host runs to its end even when one fails: a retry must not find an attempt still at work.
  const outcomes = await Promise.allSettled(
    hosts.map(async (host) => {
      let context: HostContext | undefined = contexts.get(host);
      // A retry of this batch: what an earlier attempt decided is only recorded again.
      const decidedBefore = context?.decided ?? 0;
      // The latest reading so far: the batch's own ones are not in Redis until its end.
      let reading = context?.reading;
      for (const [index, entry] of (byHost.get(host) ?? []).entries()) {
        const read = (context ??= await readContext(deps.redis, host, deps.now().getTime(), arrival));
        const current = index < decidedBefore ? { ...read, recordOnly: true } : read;
        reading = entry.reading ?? reading;
        const merged = mergeSignals({
          reading,
          claims: read.alerts,
          firewallRequests: read.firewallRequests.length,
          now: deps.now().getTime(),
        });
        writes.addSignals(host, { reading: reading ?? null, views: merged.views });
        const s = mergedSnapshot(host, entry.ts, merged);
        try {
          // After a change (an incident opened, a request taken) the next snapshot needs a fresh context.
          if (await evaluateSnapshot(deps, s, current, writes, { arrival, index, batch: job.data.received_at }))
            context = undefined;
        } catch (err) {
          if (!(err instanceof SupersededError)) throw err;
          deps.logger.debug({ host, job: job.id }, 'a later batch has claimed the host; the rest only joins its trend');
          context = { ...read, recordOnly: true };
        }
      }
    }),
  );
  const failed = outcomes.find((o) => o.status === 'rejected');
  if (failed) throw failed.reason;
  await writes.flush(deps.redis);
  await forgetCommit(deps.redis, job.data);
  return job.data.snapshots.length;
}

/** The queue numbers jobs as they are added: the order in which their snapshots arrived. */
function arrivalOf(job: Job<IngestJob>): number {
  const n = Number(job.id);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new UnrecoverableError(
      `ingest job ${job.id ?? '?'} has a custom id; only queue-numbered jobs can be ordered`,
    );
  return n;
}
