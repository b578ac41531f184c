import type { FastifyInstance } from 'fastify';
import { snapshotSchema, type Snapshot } from '../../core/snapshot/schema.js';
import { formatIssues } from '../../core/snapshot/validate.js';
import { alertmanagerPayloadSchema, mapAlert, snapshotFor } from '../../pipeline/alertmanager.js';
import { keys } from '../../redis/keys.js';
import type { HttpDeps } from '../deps.js';
import { accept } from './ingest.js';

/** How long an alert notification is remembered for deduplication. */
const DEDUP_SECONDS = 7 * 86_400;

/**
 * Alertmanager webhook v4. Each alert becomes a snapshot of its host with
 * the mapped signal set (firing) or cleared (resolved). Alertmanager resends
 * firing alerts every group_interval and HA pairs both send: a notification
 * is taken once per (fingerprint, status, startsAt).
 */
export function alertmanagerRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.post('/v1/alertmanager', async (request, reply) => {
    const parsed = alertmanagerPayloadSchema.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send({ error: formatIssues(parsed.error) });
    const ignored: string[] = [];
    const fresh: Snapshot[] = [];
    const marked: string[] = [];
    let duplicates = 0;
    for (const alert of parsed.data.alerts) {
      const mapping = mapAlert(alert, deps.policy.alertmanager);
      if (!mapping.ok) {
        ignored.push(mapping.reason);
        continue;
      }
      const key = keys.alertSeen(alert.fingerprint, alert.status, alert.startsAt);
      if ((await deps.redis.set(key, '1', 'EX', DEDUP_SECONDS, 'NX')) !== 'OK') {
        duplicates += 1;
        continue;
      }
      marked.push(key);
      const latest = await deps.redis.hget(keys.host(mapping.mapped.host), 'snapshot');
      const known = latest ? snapshotSchema.safeParse(JSON.parse(latest)) : undefined;
      fresh.push(snapshotFor(mapping.mapped, known?.success ? known.data : undefined));
      await deps.audit.append(
        {
          type: 'alert.received',
          host: mapping.mapped.host,
          outcome: alert.status,
          data: {
            fingerprint: alert.fingerprint,
            labels: alert.labels,
            signal: mapping.mapped.signal,
            value: mapping.mapped.value,
          },
        },
        deps.now(),
      );
    }
    if (fresh.length > 0 && !(await accept(deps, reply, fresh))) {
      // Not taken: forget them, so that Alertmanager's retry is not mistaken for a duplicate.
      await deps.redis.del(...marked).catch(() => undefined);
      return reply;
    }
    return reply.code(200).send({ accepted: fresh.length, duplicates, ignored });
  });
}
