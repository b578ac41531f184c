import type { FastifyInstance } from 'fastify';
import { snapshotSchema } from '../../core/snapshot/schema.js';
import { formatIssues } from '../../core/snapshot/validate.js';
import {
  firewallRequestSchema,
  idempotencyKeyOf,
  idempotencyKeySchema,
  storeFirewallRequest,
  type FirewallRequest,
} from '../../pipeline/firewall.js';
import { DeadlineError, type Deadline } from '../../redis/deadline.js';
import { keys } from '../../redis/keys.js';
import type { HttpDeps } from '../deps.js';
import { unavailable } from './ingest.js';

/**
 * A firewall change request sets firewall_change_requested for the host's
 * next evaluation, which is started at once from its latest snapshot (or
 * waits for its next one). It always ends in HITL_REQUIRED.
 *
 * A request is taken once per `Idempotency-Key` (derived from its content
 * when the header is absent): a retry, after a timeout or a 5xx, answers
 * with the first request instead of asking for a second approval. 503 means
 * nothing was stored; 202 that the request is stored and will be evaluated.
 */
export function firewallRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.post('/v1/requests/firewall', { config: { ownDeadline: true } }, async (request, reply) => {
    const parsed = firewallRequestSchema.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send({ error: formatIssues(parsed.error) });
    const header = request.headers['idempotency-key'];
    const key = header === undefined ? undefined : idempotencyKeySchema.safeParse(header);
    if (key && !key.success) return reply.code(400).send({ error: formatIssues(key.error) });
    const { deadline } = request;
    const at = deps.now();
    const idempotency = idempotencyKeyOf(key?.data, parsed.data, deps.policy.approval.timeout);
    const outcome = await deadline
      .race(storeFirewallRequest(deps.redis, parsed.data, at, idempotency, deadline.redisMs(deps.clock.toRedis)))
      .catch((err: unknown) => {
        if (err instanceof DeadlineError) return { kind: 'late' } as const;
        throw err;
      });
    if (outcome.kind === 'late') return unavailable(reply, 'Redis did not answer in time');
    if (outcome.kind === 'conflict') {
      return reply.code(422).send({
        error: 'this Idempotency-Key was used for a different request',
        request_id: outcome.request.id,
      });
    }
    if (outcome.kind === 'duplicate') {
      return reply.code(202).send({ request_id: outcome.request.id, status: 'already requested', replayed: true });
    }
    // The request is stored: whatever happens from here, the answer is 202.
    const status = await deadline.race(announce(deps, outcome.request, at, deadline)).catch((err: unknown) => {
      request.log.warn({ err, request_id: outcome.request.id }, 'firewall request stored; its evaluation waits');
      return 'waiting for the next snapshot of this host';
    });
    return reply.code(202).send({ request_id: outcome.request.id, status });
  });
}

/** Audits the request and evaluates its host from the latest snapshot, if there is one yet. */
async function announce(deps: HttpDeps, stored: FirewallRequest, at: Date, deadline: Deadline): Promise<string> {
  await deps.audit.append(
    {
      type: 'firewall.requested',
      host: stored.host,
      actor: stored.requested_by,
      notes: stored.reason,
      data: { ...stored },
    },
    at,
  );
  const latest = await deps.redis.hget(keys.host(stored.host), 'snapshot');
  const snapshot = latest ? snapshotSchema.safeParse(JSON.parse(latest)) : undefined;
  if (!snapshot?.success) return 'waiting for the first snapshot of this host';
  // A trigger, not a copy of the last snapshot: that would count its values as a fresh reading.
  await deps.ingest.submit([{ host: stored.host, trigger: 'firewall' }], deadline);
  return 'evaluating';
}
