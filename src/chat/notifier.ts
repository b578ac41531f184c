import type { Redis } from 'ioredis';
import { EventLog, eventOf } from '../events/log.js';
import type { GroupBook } from '../groups/book.js';
import type { HealgateEvent } from '../events/types.js';
import type { Logger } from '../log.js';
import { keys } from '../redis/keys.js';
import { Lease } from '../redis/lease.js';
import { DIGESTIBLE, type ChatAdapter, type DigestibleType, type Notification } from './port.js';

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
/** Long enough to outlast a delivery window; short enough for a quick takeover. */
const LEASE_MS = 10_000;

/** Groups a window's events: digests for bursts of one kind, single notifications for the rest, in order. */
export function groupEvents(events: readonly HealgateEvent[], digestFrom: number): Notification[] {
  const counts = new Map<string, number>();
  for (const e of events) counts.set(e.type, (counts.get(e.type) ?? 0) + 1);
  const digests = new Map<DigestibleType, HealgateEvent[]>();
  const out: Notification[] = [];
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
 * Reads the event stream through a consumer group and acknowledges an event
 * only after every adapter had it. One replica at a time holds the notifier
 * lease, so a burst becomes one digest per channel however many replicas
 * run; when the holder dies its lease lapses, another replica takes over and
 * claims what it left unacknowledged.
 */
export class Notifier {
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly reader: Redis;
  private readonly lease: Lease;

  private readonly events: EventLog;

  constructor(
    redis: Redis,
    private readonly adapters: readonly ChatAdapter[],
    private readonly groups: GroupBook,
    private readonly options: NotifierOptions,
    private readonly logger: Logger,
  ) {
    this.events = new EventLog(redis);
    // XREADGROUP blocks its connection.
    this.reader = redis.duplicate();
    // Connection errors surface in the read loop; without a listener ioredis prints each one.
    this.reader.on('error', (err: Error) => logger.debug({ err: err.message }, 'notifier: redis error'));
    this.lease = new Lease(this.reader, keys.notifierLease, options.consumer, LEASE_MS);
  }

  async start(): Promise<void> {
    await this.reader.xgroup('CREATE', keys.events, GROUP, '$', 'MKSTREAM').catch((err: Error) => {
      if (!err.message.includes('BUSYGROUP')) throw err;
    });
    await this.pruneConsumers();
    this.running = true;
    this.loop = this.run();
  }

  /** Every process start adds a consumer name; the ones long gone would otherwise pile up. */
  private async pruneConsumers(): Promise<void> {
    const consumers = (await this.reader.xinfo('CONSUMERS', keys.events, GROUP)) as (string | number)[][];
    for (const fields of consumers) {
      const info = new Map<string, string | number>();
      for (let i = 0; i + 1 < fields.length; i += 2) info.set(String(fields[i]), fields[i + 1]!);
      const name = String(info.get('name'));
      if (
        name !== this.options.consumer &&
        Number(info.get('pending')) === 0 &&
        Number(info.get('idle')) >= this.options.pruneIdleMs
      ) {
        await this.reader.xgroup('DELCONSUMER', keys.events, GROUP, name);
      }
    }
  }

  async close(): Promise<void> {
    this.running = false;
    await this.lease.release().catch(() => undefined);
    this.reader.disconnect();
    await this.loop?.catch(() => undefined);
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        if (!(await this.lease.hold())) {
          await new Promise((r) => setTimeout(r, LEASE_MS / 5));
          continue;
        }
        const batch = [...(await this.claimAbandoned()), ...(await this.read(1000))];
        if (batch.length === 0) continue;
        const deadline = Date.now() + this.options.windowMs;
        while (this.running && Date.now() < deadline)
          batch.push(...(await this.read(Math.max(1, deadline - Date.now()))));
        await this.deliver(batch);
      } catch (err) {
        if (!this.running) return;
        this.logger.warn({ err }, 'notifier: reading events failed; retrying');
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  /**
   * Applies the batch to the storm groups, in order. A group of two or more
   * becomes one notification (its message, redrawn), and the events it shows
   * are not posted on their own; the group's change is also published for
   * the consoles of every replica. The rest goes out as before: digests for
   * bursts of one kind, single notifications otherwise.
   */
  private async storms(batch: readonly [string, HealgateEvent][]): Promise<Notification[]> {
    const sizes = new Map<string, number>();
    const groupOf = new Map<string, string>();
    for (const [id, event] of batch) {
      const touched = await this.groups.apply(event, id, streamMs(id));
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
    const out: Notification[] = [];
    for (const [id, size] of storms) {
      const group = await this.groups.view(id);
      if (group) out.push({ kind: 'group', group });
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

  private async read(blockMs: number): Promise<[string, HealgateEvent][]> {
    const reply = (await this.reader.xreadgroup(
      'GROUP',
      GROUP,
      this.options.consumer,
      'COUNT',
      500,
      'BLOCK',
      blockMs,
      'STREAMS',
      keys.events,
      '>',
    )) as [string, [string, string[]][]][] | null;
    return parseEntries(reply?.[0]?.[1] ?? []);
  }

  private async claimAbandoned(): Promise<[string, HealgateEvent][]> {
    const reply = (await this.reader.xautoclaim(
      keys.events,
      GROUP,
      this.options.consumer,
      this.options.claimIdleMs,
      '0-0',
      'COUNT',
      500,
    )) as [string, [string, string[]][]];
    return parseEntries(reply[1] ?? []);
  }

  private async deliver(batch: readonly [string, HealgateEvent][]): Promise<void> {
    const notifications = await this.storms(batch);
    for (const notification of notifications) {
      for (const adapter of this.adapters) {
        try {
          await adapter.deliver(notification);
        } catch (err) {
          this.logger.error({ err, adapter: adapter.name }, 'chat adapter failed to deliver a notification');
        }
      }
    }
    if (batch.length > 0) await this.reader.xack(keys.events, GROUP, ...batch.map(([id]) => id));
  }
}

/** News a storm's group message shows by itself; a failure still goes to its thread too. */
function absorbed(e: HealgateEvent): boolean {
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

/** The milliseconds of a stream id (`ms-seq`): when the event was written. */
function streamMs(id: string): number {
  return Number(id.split('-')[0]);
}

function parseEntries(entries: readonly [string, string[]][]): [string, HealgateEvent][] {
  const out: [string, HealgateEvent][] = [];
  for (const [id, fields] of entries) {
    // An entry that is not an event stays unacknowledged rather than stopping delivery of the rest.
    const event = eventOf(fields);
    if (event) out.push([id, event]);
  }
  return out;
}
