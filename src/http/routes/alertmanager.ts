import type { FastifyInstance } from 'fastify';
import { mapAlert, type MappedAlert } from '../../core/signals/alerts.js';
import { formatIssues } from '../../core/snapshot/validate.js';
import {
  alertmanagerPayloadSchema,
  applyAlerts,
  noteBelowThreshold,
  noteIgnored,
  releaseAlerts,
  reserveAlerts,
} from '../../pipeline/alertmanager.js';
import { countAlert } from '../../metrics.js';
import type { HttpDeps } from '../deps.js';
import { accept } from './ingest.js';

/**
 * Alertmanager webhook v4. A firing alert claims its signal on its host
 * until it resolves (src/core/signals/merge.ts); each host named in the
 * notification is then decided once, with all of its alerts. Alertmanager
 * resends firing alerts every group_interval and HA pairs both send: a
 * notification is taken once per (fingerprint, status, startsAt), and only
 * marked taken once it is accepted, so that a failure leaves the retry to
 * be taken.
 */
export function alertmanagerRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.post('/v1/alertmanager', async (request, reply) => {
    const parsed = alertmanagerPayloadSchema.safeParse(request.body);
    if (!parsed.success)
      return reply.code(400).send({ error: `invalid notification; nothing was taken: ${formatIssues(parsed.error)}` });
    const at = deps.now();
    const ignored: string[] = [];
    const mapped: MappedAlert[] = [];
    for (const alert of parsed.data.alerts) {
      const mapping = mapAlert(alert, deps.policy.alertmanager);
      if (mapping.ok) {
        mapped.push(mapping.mapped);
        continue;
      }
      ignored.push(mapping.message);
      countAlert('ignored', mapping.reason);
      await noteIgnored(deps, mapping, alert.labels, at);
    }
    const reserved = await reserveAlerts(deps.redis, mapped);
    const fresh = mapped.filter((_, i) => reserved[i]);
    for (const m of mapped.filter((_, i) => !reserved[i])) countAlert('duplicate', m.alert.status);
    if (fresh.length > 0) {
      let taken = false;
      try {
        for (const m of fresh)
          await deps.audit.append(
            {
              type: 'alert.received',
              host: m.host,
              outcome: m.alert.status,
              data: { fingerprint: m.alert.fingerprint, labels: m.alert.labels, signal: m.signal, value: m.value },
            },
            at,
          );
        taken = await accept(deps, reply, await applyAlerts(deps.redis, fresh));
      } finally {
        // Not taken: free them, so that Alertmanager's retry is not mistaken for a duplicate.
        if (!taken) await releaseAlerts(deps.redis, fresh).catch(() => undefined);
      }
      if (!taken) return reply;
      for (const m of fresh) {
        countAlert('accepted', m.alert.status);
        // Only words for the log: the notification is taken whatever becomes of them.
        await noteBelowThreshold(deps, m, deps.policy).catch((err: unknown) =>
          deps.logger.warn({ err }, 'could not note an alert that opens nothing'),
        );
      }
    }
    return reply.code(200).send({ accepted: fresh.length, duplicates: mapped.length - fresh.length, ignored });
  });
}
