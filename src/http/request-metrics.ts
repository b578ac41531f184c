import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics.js';

/**
 * Counts every response by its route's pattern (`/v1/hosts/:host`, never the
 * host itself) so the series stay bounded; a path no route matched is
 * `unmatched`, whatever a scanner asks for.
 */
export function countRequests(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.httpDuration.observe({ route }, reply.elapsedTime / 1000);
  });
}
