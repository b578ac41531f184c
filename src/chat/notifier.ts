import type { Redis } from 'ioredis';
import { EventLog, eventOf } from '../events/log.js';
import type { GroupBook } from '../groups/book.js';
import { isChatEvent, type ChatEvent } from '../events/types.js';
import type { Logger } from '../log.js';
import { keys } from '../redis/keys.js';
import { LeasedConsumer } from '../redis/leased-consumer.js';
import { writtenMs, type Entry } from '../redis/leased-reader.js';
import { DIGESTIBLE, type DigestibleType, type StoredNotification } from './port.js';

export interface NotifierOptions {
  /** This replica's name in the consumer group. */
  readonly consumer: string;
  /** After the first event of a burst, how long to gather more before posting. */
  readonly windowMs: number;
  /** From this many events of one type in a window, they go out as one digest. */
  readonly digestFrom: number;
  /** Entries a dead replica left unacknowledged for this long are taken over. */
  readonly claimIdleMs: number;
  /** Consumers (past processes) idle this long with nothing pending are removed at start. */
  readonly pruneIdleMs: number;
}

const GROUP = 'notifier';
/** Long enough to outlast a gathering window; short enough for a quick takeover. */
const LEASE_MS = 10_000;
/** Roughly how many notifications the stream keeps once every adapter has delivered them. */
const MAX_NOTIFICATIONS = 10_000;

/** Groups a window's events: digests for bursts of one kind, single notifications for the rest, in order. */
export function groupEvents(events: readonly ChatEvent[], digestFrom: number): StoredNotification[] {
  const counts = new Map<string, number>();
  for (const e of events) counts.set(e.type, (counts.get(e.type) ?? 0) + 1);
  const digests = new Map<DigestibleType, ChatEvent[]>();
  const out: StoredNotification[] = [];
  for (const event of events) {
    const type = event.type as DigestibleType;
    if ((DIGESTIBLE as readonly string[]).includes(type) && (counts.get(type) ?? 0) >= digestFrom) {
      const list = digests.get(type);
      if (list) list.push(event);
      else {
        const fresh = [event];
        digests.set(type, fresh);
        out.push({ kind: 'digest', type, events: fresh });
      }
    } else {
      out.push({ kind: 'event', event });
    }
  }
  return out;
}

/**
 * The first of two stages: reads the event stream through a consumer group,
 * one replica at a time (the lease), turns each window of events into
 * notifications (storm groups, digests, single events) and appends them to
 * the notifications stream, from which every chat adapter delivers on its own
 * (AdapterDelivery). An event is acknowledged once its notifications are in
 * that stream; a holder that dies leaves its events to the next one.
 */
export class Notifier extends LeasedConsumer {
  private readonly events: EventLog;

  constructor(
    private readonly redis: Redis,
    private readonly groups: GroupBook,
    private readonly options: NotifierOptions,
    logger: Logger,
  ) {
    super(
      redis,
      {
        stream: keys.events,
        group: GROUP,
        leaseKey: keys.notifierLease,
        consumer: options.consumer,
        leaseMs: LEASE_MS,
        claimIdleMs: options.claimIdleMs,
        pruneIdleMs: options.pruneIdleMs,
      },
      logger,
    );
    this.events = new EventLog(redis);
  }

  /** Gathers for the window after the batch's first event, then composes and acknowledges them. */
  protected async handle(first: readonly Entry[]): Promise<void> {
    const batch = [...first];
    const deadline = Date.now() + this.options.windowMs;
    while (this.running && Date.now() < deadline)
      batch.push(...(await this.reader.read(Math.max(1, deadline - Date.now()))));
    await this.compose(parseEntries(batch));
    // An entry that is not an event is acknowledged too: it would otherwise come back for ever.
    await this.reader.ack(batch.map(([id]) => id));
  }

  private async compose(batch: readonly [string, ChatEvent][]): Promise<void> {
    const notifications = await this.storms(batch);
    if (notifications.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const n of notifications)
      pipeline.xadd(keys.notifications, 'MAXLEN', '~', MAX_NOTIFICATIONS, '*', 'n', JSON.stringify(n));
    const replies = (await pipeline.exec()) ?? [];
    const failed = replies.find(([err]) => err);
    if (failed?.[0]) throw failed[0];
  }

  /**
   * Applies the batch to the storm groups, in order. A group of two or more
   * becomes one notification (its message, redrawn), and the events it shows
   * are not posted on their own; the group's change is also published for
   * the consoles of every replica. The rest goes out as before: digests for
   * bursts of one kind, single notifications otherwise.
   */
  private async storms(batch: readonly [string, ChatEvent][]): Promise<StoredNotification[]> {
    const sizes = new Map<string, number>();
    const groupOf = new Map<string, string>();
    for (const [id, event] of batch) {
      const touched = await this.groups.apply(event, id, writtenMs(id));
      if (!touched) continue;
      sizes.set(touched.id, Math.max(sizes.get(touched.id) ?? 0, touched.size));
      groupOf.set(id, touched.id);
    }
    const storms = [...sizes].filter(([, size]) => size >= 2);
    const inStorm = new Set(storms.map(([id]) => id));
    const single = batch.filter(([id, e]) => {
      if (e.type === 'group.updated') return false;
      const group = groupOf.get(id);
      return !(group && inStorm.has(group) && absorbed(e));
    });
    const out: StoredNotification[] = [];
    for (const [id, size] of storms) {
      out.push({ kind: 'group', group_id: id });
      await this.events.publish({ type: 'group.updated', group_id: id, size });
    }
    return [
      ...out,
      ...groupEvents(
        single.map(([, e]) => e),
        this.options.digestFrom,
      ),
    ];
  }
}

/** News a storm's group message shows by itself; a failure still goes to its thread too. */
function absorbed(e: ChatEvent): boolean {
  switch (e.type) {
    case 'incident.opened':
    case 'incident.resolved':
    case 'approval.requested':
    case 'approval.decided':
    case 'action.withdrawn':
      return true;
    case 'action.result':
      return e.outcome === 'success' || e.outcome === 'dry_run';
    default:
      return false;
  }
}

/** The events chat shows; the audit-only ones are the audit recorder's alone. */
function parseEntries(entries: readonly [string, string[]][]): [string, ChatEvent][] {
  const out: [string, ChatEvent][] = [];
  for (const [id, fields] of entries) {
    const event = eventOf(fields);
    if (event && isChatEvent(event)) out.push([id, event]);
  }
  return out;
}
