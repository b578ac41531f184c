import type { FastifyInstance } from 'fastify';
import { formatIssues } from '../../core/snapshot/validate.js';
import { firewallRequestSchema, storeFirewallRequest } from '../../pipeline/firewall.js';
import { keys } from '../../redis/keys.js';
import type { HttpDeps } from '../deps.js';
import { snapshotSchema } from '../../core/snapshot/schema.js';

/**
 * A firewall change request sets firewall_change_requested for the host's
 * next evaluation, which is started at once from its latest snapshot (or
 * waits for its first one). It always ends in HITL_REQUIRED.
 */
export function firewallRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.post('/v1/requests/firewall', async (request, reply) => {
    const parsed = firewallRequestSchema.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send({ error: formatIssues(parsed.error) });
    const at = deps.now();
    const stored = await storeFirewallRequest(deps.redis, parsed.data, at);
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
    // A trigger, not a copy of the last snapshot: that would count its values as a fresh reading.
    if (snapshot?.success) await deps.ingest.submit([{ host: stored.host, trigger: 'firewall' }]);
    return reply.code(202).send({
      request_id: stored.id,
      status: snapshot?.success ? 'evaluating' : 'waiting for the first snapshot of this host',
    });
  });
}
