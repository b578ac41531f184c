import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { hostSchema } from '../../core/snapshot/schema.js';
import { formatIssues } from '../../core/snapshot/validate.js';
import { incidentRecords } from '../../pipeline/incidents.js';
import { keys } from '../../redis/keys.js';
import type { HttpDeps } from '../deps.js';

const parseJson = (text: string | undefined): unknown => (text ? JSON.parse(text) : null);

export function hostRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.get('/v1/hosts', async () => {
    const hosts = await deps.redis.zrevrange(keys.hosts, 0, 999, 'WITHSCORES');
    const m = deps.redis.multi();
    const names: string[] = [];
    for (let i = 0; i < hosts.length; i += 2) {
      names.push(hosts[i]!);
      m.hmget(keys.host(hosts[i]!), 'snapshot', 'decision').hlen(keys.hostIncidents(hosts[i]!));
    }
    const replies = (await m.exec()) ?? [];
    return {
      hosts: names.map((host, i) => {
        const [snapshot, decision] = (replies[2 * i]?.[1] ?? []) as (string | null)[];
        const d = parseJson(decision ?? undefined) as { decision?: string; rule?: string } | null;
        return {
          host,
          last_seen: new Date(Number(hosts[2 * i + 1])).toISOString(),
          snapshot: parseJson(snapshot ?? undefined),
          decision: d?.decision ?? null,
          rule: d?.rule ?? null,
          open_incidents: (replies[2 * i + 1]?.[1] ?? 0) as number,
        };
      }),
    };
  });

  app.get('/v1/hosts/:host', async (request, reply) => {
    const parsed = z.object({ host: hostSchema }).safeParse(request.params);
    if (!parsed.success) return reply.code(400).send({ error: formatIssues(parsed.error) });
    const { host } = parsed.data;
    const [state, history, open] = await Promise.all([
      deps.redis.hgetall(keys.host(host)),
      deps.redis.lrange(keys.history(host), 0, -1),
      deps.redis.hgetall(keys.hostIncidents(host)),
    ]);
    if (!state.snapshot) return reply.code(404).send({ error: `unknown host ${host}` });
    const incidents = await incidentRecords(deps.redis, Object.values(open));
    return {
      host,
      updated_at: new Date(Number(state.updated_at)).toISOString(),
      snapshot: parseJson(state.snapshot),
      decision: parseJson(state.decision),
      // Oldest first, as a chart draws them: [ms, disk, memory, cpu, dns, firewall]
      history: history.map((h) => JSON.parse(h) as unknown).reverse(),
      incidents,
    };
  });
}
