import type { FastifyInstance, FastifyReply } from 'fastify';
import { snapshotSchema, type Snapshot } from '../../core/snapshot/schema.js';
import { IngestUnavailableError } from '../../pipeline/ingest.js';
import type { IngestEntry } from '../../pipeline/signals.js';
import type { HttpDeps } from '../deps.js';

/** Snapshots per request at most; larger batches get 413 and should be split. */
export const MAX_BATCH = 1000;

export interface ItemIssue {
  readonly item: number;
  readonly field: string;
  readonly message: string;
}

/** Validates one snapshot or an array; every issue names its item and field. */
export function validateSnapshots(
  body: unknown,
): { ok: true; snapshots: Snapshot[] } | { ok: false; issues: ItemIssue[] } {
  const items = Array.isArray(body) ? body : [body];
  const snapshots: Snapshot[] = [];
  const issues: ItemIssue[] = [];
  items.forEach((item, index) => {
    const parsed = snapshotSchema.safeParse(item);
    if (parsed.success) snapshots.push(parsed.data);
    else
      for (const i of parsed.error.issues)
        issues.push({ item: index, field: i.path.join('.') || '(item)', message: i.message });
  });
  return issues.length > 0 ? { ok: false, issues } : { ok: true, snapshots };
}

/** 503 with Retry-After: the client keeps its data and tries again. */
export async function unavailable(reply: FastifyReply, why = 'Redis is unavailable'): Promise<void> {
  // A route past its deadline has been answered already (see deadline.ts).
  if (reply.sent) return;
  await reply
    .code(503)
    .header('retry-after', '5')
    .send({ error: `${why}; nothing was accepted, retry later` });
}

/**
 * Hands snapshots to the ingest queue by the request's deadline; 503 (never
 * a silent drop) when Redis cannot take them, and then they are not decided.
 */
export async function accept(deps: HttpDeps, reply: FastifyReply, snapshots: readonly IngestEntry[]): Promise<boolean> {
  try {
    await deps.ingest.submit(snapshots, reply.request.deadline);
  } catch (err) {
    if (!(err instanceof IngestUnavailableError)) throw err;
    await unavailable(reply, err.message);
    return false;
  }
  deps.metrics.ingested.inc(snapshots.length);
  return true;
}

export function ingestRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.post('/v1/metrics', { config: { ownDeadline: true } }, async (request, reply) => {
    if (Array.isArray(request.body) && request.body.length > MAX_BATCH) {
      return reply.code(413).send({ error: `at most ${MAX_BATCH} snapshots per request; got ${request.body.length}` });
    }
    if (Array.isArray(request.body) && request.body.length === 0) return reply.code(400).send({ error: 'empty batch' });
    const result = validateSnapshots(request.body);
    if (!result.ok)
      return reply.code(400).send({ error: 'invalid snapshot(s); nothing was accepted', issues: result.issues });
    if (!(await accept(deps, reply, result.snapshots))) return reply;
    return reply.code(202).send({ accepted: result.snapshots.length });
  });
}
