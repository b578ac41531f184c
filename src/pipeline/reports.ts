import type { ReportHandlers } from '../reports/consumer.js';
import { keys } from '../redis/keys.js';
import { auditRefusal, foreignReport, handleActionReport, type ActionReportDeps } from './action-report.js';
import { Deadline } from '../redis/deadline.js';
import type { Ingest } from './ingest.js';

/** How long an agent's snapshots may wait for the ingest queue before their reports are read again. */
const REPORT_INGEST_MS = 10_000;

export interface ReportDeps extends ActionReportDeps {
  readonly ingest: Pick<Ingest, 'submit'>;
}

/**
 * What the bot does with the agents' reports. A snapshot joins the ingest
 * queue like one posted to /v1/metrics, and only for the host whose stream
 * it came on: an agent speaks for its own host alone. (A snapshot delivered
 * again after a crash is the same reading twice, which decides nothing new.)
 */
export function reportHandlers(deps: ReportDeps): ReportHandlers {
  const { redis, logger } = deps;
  return {
    async snapshots(host, received) {
      const own = received.filter((r) => r.report.snapshot.host === host);
      for (const r of received)
        if (r.report.snapshot.host !== host)
          logger.warn({ host, entry: r.entry, named: r.report.snapshot.host }, "refused another host's snapshot");
      if (own.length === 0) return;
      const latest = Math.max(...own.map((r) => r.report.beat_at));
      await redis.zadd(keys.agents, 'GT', latest, host);
      // An agent's reading: one more reading beside an alert's, never cancelling it (src/core/signals/merge.ts).
      await deps.ingest.submit(
        own.map((r) => ({ ...r.report.snapshot, source: 'agent' as const })),
        // Not taken in time: the reports stay unacknowledged and come again.
        Deadline.after(REPORT_INGEST_MS),
      );
    },
    async action(host, id, report) {
      const foreign = foreignReport(deps, host, id, report);
      if (!foreign) return void (await handleActionReport(deps, host, id, report));
      const claimed = { host: report.job.host, actions: report.job.actions.map((a) => a.id) };
      await auditRefusal(deps, host, `report:${id}`, {
        job_id: report.job.key,
        reason: `result refused: ${foreign}`,
        claimed,
      });
    },
    refusedJob: (host, id, report) => auditRefusal(deps, host, id, report),
    refused(host, entry, why) {
      logger.error({ host, entry, why }, 'refused a report that is not what an agent writes');
      return Promise.resolve();
    },
  };
}
