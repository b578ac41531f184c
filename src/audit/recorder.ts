import type { Redis } from 'ioredis';
import { crashPoint } from '../crash-point.js';
import { eventOf } from '../events/log.js';
import type { Logger } from '../log.js';
import { countAuditEntries } from '../metrics.js';
import { keys } from '../redis/keys.js';
import { LeasedConsumer } from '../redis/leased-consumer.js';
import { writtenMs, type Entry } from '../redis/leased-reader.js';
import type { AuditLog } from './audit-log.js';
import { AuditInputError } from './errors.js';
import { auditEntriesOf } from './projection.js';

export interface RecorderOptions {
  /** This replica's name in the consumer group. */
  readonly consumer: string;
  /** Consumers (past processes) idle this long with nothing pending are removed at start. */
  readonly pruneIdleMs: number;
  /** First and longest wait between attempts when Redis refuses an append. */
  readonly retryMs: { readonly first: number; readonly max: number };
}

/** The recorder's consumer group on the event stream. */
const AUDIT_GROUP = 'audit';
/** Renewed in the background while an append runs; a dead holder's events are taken over this long after. */
const LEASE_MS = 10_000;

/**
 * The audit chain as a consumer of the event stream: every state change
 * writes its event in its own script, and this appends the entries the event
 * stands for (src/audit/projection.ts), in stream order, one replica at a
 * time (a fenced lease, as the notifier's). Each entry carries its event's
 * id as a mark that the append script checks, so an event read again (after
 * a crash between the append and its acknowledgement, or by the replica that
 * took over) is never appended twice. A failed append is retried, with
 * backoff, until it lands: nothing is acknowledged before it is in the chain.
 * An entry the audit refuses as invalid (larger than 64 KiB) would be
 * refused for ever; it is logged as an error and counted instead.
 */
export class AuditRecorder extends LeasedConsumer {
  constructor(
    redis: Redis,
    private readonly audit: AuditLog,
    private readonly recorder: RecorderOptions,
    logger: Logger,
  ) {
    super(
      redis,
      {
        stream: keys.events,
        group: AUDIT_GROUP,
        leaseKey: keys.auditRecorderLease,
        consumer: recorder.consumer,
        leaseMs: LEASE_MS,
        claimIdleMs: LEASE_MS,
        pruneIdleMs: recorder.pruneIdleMs,
      },
      logger,
    );
  }

  /** Returns with the batch acknowledged, or left pending for whoever holds the lease next. */
  protected async handle(batch: readonly Entry[]): Promise<void> {
    let wait = this.recorder.retryMs.first;
    for (let attempt = 1; ; attempt++) {
      if (!this.running || !this.reader.held) return;
      try {
        await this.record(batch);
        crashPoint('audit.recorded');
        await this.reader.ack(batch.map(([id]) => id));
        return;
      } catch (err) {
        this.logger.warn(
          { err, events: batch.length, attempt, retry_in_ms: wait },
          'audit recorder: appending failed; retrying',
        );
        await this.sleep(wait);
        wait = Math.min(wait * 2, this.recorder.retryMs.max);
      }
    }
  }

  private async record(batch: readonly Entry[]): Promise<void> {
    let unreadable = 0;
    const items = batch.flatMap(([id, fields]) => {
      const event = eventOf(fields);
      if (!event) return [];
      try {
        const at = new Date(writtenMs(id));
        return auditEntriesOf(event, at).map((p, index) => ({ ...p, mark: { eventId: id, index } }));
      } catch (err) {
        // An event not of this version's shape (a bot of another version wrote it) would block the audit for ever.
        unreadable++;
        this.logger.error(
          { err, event: id, type: event.type },
          'an event could not be audited: not in the shape expected',
        );
        return [];
      }
    });
    // Nothing to append is no round trip (the appender reads the head and loads its script first).
    const results = items.length > 0 ? await this.audit.record(items) : [];
    const refused = results.filter((r) => r instanceof AuditInputError);
    for (const err of refused) {
      const { entry, mark } = items[results.indexOf(err)]!;
      this.logger.error(
        { err, event: mark.eventId, type: entry.type, host: entry.host },
        'an audit entry was refused and is missing from the chain',
      );
    }
    countAuditEntries('refused', unreadable + refused.length);
    countAuditEntries('recorded', results.length - refused.length);
  }
}
