import type { Redis } from 'ioredis';
import type { GroupBook } from '../groups/book.js';
import type { Logger } from '../log.js';
import { countNotification } from '../metrics.js';
import { keys } from '../redis/keys.js';
import { LeasedConsumer } from '../redis/leased-consumer.js';
import { writtenMs, type Entry } from '../redis/leased-reader.js';
import type { ChatAdapter, Notification, StoredNotification } from './port.js';

export interface DeliveryOptions {
  readonly consumer: string;
  readonly claimIdleMs: number;
  readonly pruneIdleMs: number;
  /** How long a notification is worth retrying (the approval timeout); a request's own expiry when it has one. */
  readonly patienceMs: number;
  /** First and longest wait between attempts. */
  readonly retryMs: { readonly first: number; readonly max: number };
}

/** Long enough for one delivery attempt (a Slack call retries for about 8 s); renewed in the background. */
const LEASE_MS = 15_000;

/**
 * The second stage: one chat adapter delivering the notifications stream,
 * through a consumer group of its own, so that a platform that fails holds
 * up no other. Each notification is acknowledged only once the platform took
 * it; a failure is retried with backoff, in order (a thread's replies must
 * not overtake its message), for as long as it still matters, then given up
 * loudly (error log, `healgate_notifications_total{result="failed"}`). The
 * lease is fenced: a replica whose lease lapsed stops before its next post.
 */
export class AdapterDelivery extends LeasedConsumer {
  constructor(
    redis: Redis,
    private readonly adapter: ChatAdapter,
    private readonly groups: GroupBook,
    private readonly options: DeliveryOptions,
    logger: Logger,
  ) {
    super(
      redis,
      {
        stream: keys.notifications,
        group: `deliver:${adapter.name}`,
        leaseKey: keys.deliveryLease(adapter.name),
        consumer: options.consumer,
        leaseMs: LEASE_MS,
        claimIdleMs: options.claimIdleMs,
        pruneIdleMs: options.pruneIdleMs,
      },
      logger,
    );
  }

  protected async handle(batch: readonly Entry[]): Promise<void> {
    for (const entry of batch) if (!this.running || !(await this.deliverOne(entry))) return;
  }

  /** False when this replica lost the lease (or is stopping): the entry stays for whoever holds it now. */
  private async deliverOne([id, fields]: Entry): Promise<boolean> {
    const stored = parseStored(fields);
    if (!stored) {
      await this.reader.ack([id]);
      return true;
    }
    const deadline = deadlineOf(stored, writtenMs(id), this.options.patienceMs);
    let wait = this.options.retryMs.first;
    for (let attempt = 1; ; attempt++) {
      if (!this.running || !this.reader.held) return false;
      try {
        const notification = await this.hydrate(stored);
        if (notification) await this.adapter.deliver(notification);
        await this.reader.ack([id]);
        countNotification(this.adapter.name, 'delivered');
        return true;
      } catch (err) {
        if (Date.now() + wait > deadline) {
          this.logger.error(
            { err, adapter: this.adapter.name, notification: id, attempts: attempt },
            'gave up delivering a notification: it no longer matters, or the platform kept failing',
          );
          countNotification(this.adapter.name, 'failed');
          await this.reader.ack([id]);
          return true;
        }
        this.logger.warn(
          { err, adapter: this.adapter.name, notification: id, attempt, retry_in_ms: wait },
          'delivering a notification failed; retrying',
        );
        await this.sleep(wait);
        wait = Math.min(wait * 2, this.options.retryMs.max);
      }
    }
  }

  /** A storm group is drawn as it stands now; one gone from the book (expired) is nothing to show. */
  private async hydrate(n: StoredNotification): Promise<Notification | undefined> {
    if (n.kind !== 'group') return n;
    const group = await this.groups.view(n.group_id);
    return group ? { kind: 'group', group } : undefined;
  }
}

/** An approval request matters until it expires; everything else for the patience given. */
function deadlineOf(n: StoredNotification, writtenMs: number, patienceMs: number): number {
  if (n.kind === 'event' && n.event.type === 'approval.requested') {
    const expires = Date.parse(n.event.approval.expires_at);
    if (Number.isFinite(expires)) return expires;
  }
  return writtenMs + patienceMs;
}

function parseStored(fields: readonly string[]): StoredNotification | undefined {
  const i = fields.indexOf('n');
  try {
    return i >= 0 ? (JSON.parse(fields[i + 1] ?? '') as StoredNotification) : undefined;
  } catch {
    return undefined;
  }
}
