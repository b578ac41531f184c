import { Worker, type ConnectionOptions, type Job } from 'bullmq';
import { snapshotSchema, type Snapshot } from '../core/snapshot/schema.js';
import { queues } from '../redis/keys.js';
import type { PipelineDeps } from './deps.js';
import { evaluateSnapshot } from './evaluate.js';
import { readContext, readContexts, StateWrites, type HostContext } from './host-state.js';
import type { IngestJob } from './ingest.js';

/**
 * The decision worker. Within a batch, each host's snapshots are evaluated
 * in order and different hosts in parallel; contexts are read for all hosts
 * in one round trip and the hosts' new state written in another.
 */
export function startDecisionWorker(
  deps: PipelineDeps,
  connection: ConnectionOptions,
  concurrency = 4,
): Worker<IngestJob> {
  return new Worker<IngestJob>(queues.ingest, (job) => processBatch(deps, job), { connection, concurrency });
}

export async function processBatch(deps: PipelineDeps, job: Job<IngestJob>): Promise<number> {
  const byHost = new Map<string, Snapshot[]>();
  for (const raw of job.data.snapshots) {
    // Jobs are written by our own ingest, but Redis is not a trust boundary to skip.
    const parsed = snapshotSchema.safeParse(raw);
    if (!parsed.success) {
      deps.logger.warn({ job: job.id }, 'invalid snapshot in an ingest job; skipped');
      continue;
    }
    const list = byHost.get(parsed.data.host) ?? [];
    list.push(parsed.data);
    byHost.set(parsed.data.host, list);
  }
  const hosts = [...byHost.keys()];
  const contexts = await readContexts(deps.redis, hosts, deps.now().getTime());
  const writes = new StateWrites();
  await Promise.all(
    hosts.map(async (host) => {
      let context: HostContext | undefined = contexts.get(host);
      for (const s of byHost.get(host) ?? []) {
        context ??= await readContext(deps.redis, host, deps.now().getTime());
        // After a change (an incident opened, a request taken) the next snapshot needs a fresh context.
        if (await evaluateSnapshot(deps, s, context, writes)) context = undefined;
      }
    }),
  );
  await writes.flush(deps.redis);
  return job.data.snapshots.length;
}
