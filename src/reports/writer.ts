import type { Redis } from 'ioredis';
import type { Snapshot } from '../core/snapshot/schema.js';
import { keys } from '../redis/keys.js';
import type { ActionReport, RefusalReport } from './schema.js';

/**
 * Bounds for a bot that is down: old snapshots are worth nothing once newer
 * ones wait (a few hours of polls), while action results are rare and each
 * one counts, so their stream keeps far more.
 */
export const SNAPSHOT_STREAM_MAX = 1_000;
export const REPORT_STREAM_MAX = 10_000;

/**
 * An agent's side of the reports: its own host's two streams, which the bot
 * consumes (src/reports/consumer.ts). The host is announced at start, so the
 * bot reads streams it has not seen before at once.
 */
export class ReportWriter {
  constructor(
    private readonly redis: Redis,
    readonly host: string,
  ) {}

  async announce(): Promise<void> {
    await this.redis.sadd(keys.reporters, this.host);
    await this.redis.xadd(keys.reportersAnnounce, 'MAXLEN', '~', 1000, '*', 'host', this.host);
  }

  async snapshot(snapshot: Snapshot, beatAt: number): Promise<void> {
    await this.add(keys.agentSnapshots(this.host), SNAPSHOT_STREAM_MAX, [
      'report',
      JSON.stringify({ snapshot, beat_at: beatAt }),
    ]);
  }

  /** Sent again after a crash before the run was marked reported: the bot dedups by the job's key. */
  async action(report: ActionReport): Promise<void> {
    await this.add(keys.agentReports(this.host), REPORT_STREAM_MAX, [
      'id',
      report.job.key,
      'report',
      JSON.stringify(report),
    ]);
  }

  /** One per queued job: a second refusal of the same job id is the same report. */
  async refused(report: RefusalReport): Promise<void> {
    const fields = ['id', `refused:${report.job_id}`, 'kind', 'refused', 'report', JSON.stringify(report)];
    await this.add(keys.agentReports(this.host), REPORT_STREAM_MAX, fields);
  }

  private async add(stream: string, max: number, fields: readonly string[]): Promise<void> {
    await this.redis.xadd(stream, 'MAXLEN', '~', max, '*', ...fields);
  }
}
