import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { hostSchema } from '../../core/snapshot/schema.js';
import { formatIssues } from '../../core/snapshot/validate.js';
import { listHosts, readHost } from '../../pipeline/host-read.js';
import type { HttpDeps } from '../deps.js';

export function hostRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.get('/v1/hosts', async () => ({
    hosts: (await listHosts(deps.redis)).map((h) => ({
      host: h.host,
      last_seen: h.last_seen,
      snapshot: h.snapshot,
      decision: h.decision?.decision ?? null,
      rule: h.decision?.rule ?? null,
      open_incidents: h.open_incidents,
    })),
  }));

  app.get('/v1/hosts/:host', async (request, reply) => {
    const parsed = z.object({ host: hostSchema }).safeParse(request.params);
    if (!parsed.success) return reply.code(400).send({ error: formatIssues(parsed.error) });
    const detail = await readHost(deps.redis, parsed.data.host);
    // History points: [ms, disk, memory, cpu, dns, firewall], oldest first.
    return detail ?? reply.code(404).send({ error: `unknown host ${parsed.data.host}` });
  });
}
