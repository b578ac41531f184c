import type { Redis } from 'ioredis';
import type { ApprovalRecord } from '../../src/approvals/record.js';
import type { ChatServices } from '../../src/chat/services.js';
import { eventOf } from '../../src/events/log.js';
import { eventHost, isChatEvent } from '../../src/events/types.js';
import type { Logger } from '../../src/log.js';
import type { HistoryPoint } from '../../src/pipeline/host-state.js';
import { keys } from '../../src/redis/keys.js';
import { hostRows, type HostRow } from './hosts.js';
import { approvalItem, compareIds, feedItem, groupItem, named, type FeedItem } from './items.js';

/** Where a page's live updates go (one per open SSE stream). */
export interface FeedClient {
  item(item: FeedItem): void;
  hosts(rows: readonly HostRow[]): void;
}

interface Subscriber {
  readonly client: FeedClient;
  /** Live items that arrived while the backlog was being sent; null once caught up. */
  pending: FeedItem[] | null;
  lastSent: string;
}

export interface FeedOptions {
  /** Events a fresh page is shown. */
  readonly backlog: number;
  /** How long one XREAD waits: also how long close() may wait for the reader. */
  readonly blockMs: number;
  /** How often changed hosts (healthy snapshots make no events) are pushed. */
  readonly hostsEveryMs: number;
}

type Entry = [id: string, fields: string[]];

const STREAM_ID = /^\d{1,20}-\d{1,20}$/;
const MAX_CATCH_UP = 1000;
/** Host writes are stamped a little before they land: each push looks back this far again. */
const HOSTS_OVERLAP_MS = 3000;

/**
 * The console's live feed. Every replica reads the events stream itself
 * (XREAD on its own connection), whether or not it holds the notifier
 * lease, so a page on any replica sees everything. A reconnecting page
 * resumes after its Last-Event-ID; a fresh one gets the pending approvals
 * and the recent events first.
 */
export class ConsoleFeed {
  private readonly subscribers = new Set<Subscriber>();
  private reader: Redis | undefined;
  private loop: Promise<void> | undefined;
  private hostsTimer: NodeJS.Timeout | undefined;
  private running = false;
  private cursor = '$';
  private hostsSince = 0;

  constructor(
    private readonly redis: Redis,
    private readonly services: ChatServices,
    private readonly logger: Logger,
    private readonly options: FeedOptions,
  ) {}

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const [last] = (await this.redis.xrevrange(keys.events, '+', '-', 'COUNT', 1)) as Entry[];
    this.cursor = last?.[0] ?? '0-0';
    this.hostsSince = this.services.now().getTime();
    // XREAD BLOCK holds its connection: it gets one of its own.
    this.reader = this.redis.duplicate();
    // Connection errors surface in the read loop, which warns and retries.
    this.reader.on('error', (err: Error) => this.logger.debug({ err: err.message }, 'console feed: redis error'));
    this.loop = this.read(this.reader);
    this.hostsTimer = setInterval(() => void this.pushHosts(), this.options.hostsEveryMs);
  }

  async close(): Promise<void> {
    this.running = false;
    clearInterval(this.hostsTimer);
    this.reader?.disconnect();
    await this.loop;
    this.subscribers.clear();
  }

  /** Sends the backlog (or what came after `lastEventId`), then live items; returns the unsubscribe. */
  async subscribe(client: FeedClient, lastEventId: string | undefined): Promise<() => void> {
    const resume = lastEventId !== undefined && STREAM_ID.test(lastEventId) ? lastEventId : undefined;
    const sub: Subscriber = { client, pending: [], lastSent: resume ?? '0-0' };
    this.subscribers.add(sub);
    const unsubscribe = () => void this.subscribers.delete(sub);
    try {
      const first = resume ? await this.since(resume) : [...(await this.pendingApprovals()), ...(await this.recent())];
      for (const item of first) this.send(sub, item);
      for (const item of sub.pending ?? []) this.send(sub, item);
      sub.pending = null;
    } catch (err) {
      unsubscribe();
      throw err;
    }
    return unsubscribe;
  }

  private send(sub: Subscriber, item: FeedItem): void {
    // Pending approvals carry no stream id: they are state, not events.
    if (item.id !== '' && compareIds(item.id, sub.lastSent) <= 0) return;
    sub.client.item(item);
    if (item.id !== '') sub.lastSent = item.id;
  }

  private async read(reader: Redis): Promise<void> {
    while (this.running) {
      try {
        const reply = await reader.xread(
          'COUNT',
          500,
          'BLOCK',
          this.options.blockMs,
          'STREAMS',
          keys.events,
          this.cursor,
        );
        const entries = reply?.[0]?.[1] ?? [];
        if (entries.length === 0) continue;
        this.cursor = entries[entries.length - 1]![0];
        if (this.subscribers.size === 0) continue;
        for (const item of await this.render(entries)) {
          for (const sub of this.subscribers) {
            if (sub.pending) sub.pending.push(item);
            else this.send(sub, item);
          }
        }
      } catch (err) {
        if (!this.running) return;
        this.logger.warn({ err }, 'console feed: reading the events stream failed; retrying');
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  /** Entries as feed items; each host's history is read once per batch. */
  private async render(entries: readonly Entry[]): Promise<FeedItem[]> {
    const histories = new Map<string, Promise<HistoryPoint[]>>();
    const history = (host: string) => {
      let h = histories.get(host);
      if (!h) histories.set(host, (h = this.services.history(host)));
      return h;
    };
    const now = this.services.now();
    const items: FeedItem[] = [];
    // A group changes many times in a storm: each batch draws its latest state once.
    const lastOfGroup = new Map<string, string>();
    for (const [id, fields] of entries) {
      const event = eventOf(fields);
      if (event?.type === 'group.updated') lastOfGroup.set(event.group_id, id);
    }
    for (const [id, fields] of entries) {
      const event = eventOf(fields);
      if (!event || !isChatEvent(event)) continue;
      if (event.type === 'group.updated') {
        const group =
          lastOfGroup.get(event.group_id) === id ? await this.services.groups.view(event.group_id) : undefined;
        if (group) items.push(groupItem(id, group, now, this.services.executionMode === 'dry-run'));
        continue;
      }
      items.push(feedItem(id, event, await history(eventHost(event)), this.services.policy, now));
    }
    return named(items, this.services.names);
  }

  private async recent(): Promise<FeedItem[]> {
    const entries = (await this.redis.xrevrange(keys.events, '+', '-', 'COUNT', this.options.backlog)) as Entry[];
    return this.render(entries.reverse());
  }

  private async since(id: string): Promise<FeedItem[]> {
    return this.render(await this.redis.xrange(keys.events, `(${id}`, '+', 'COUNT', MAX_CATCH_UP));
  }

  private async pendingApprovals(): Promise<FeedItem[]> {
    const ids = await this.redis.zrange(keys.approvalsPending, 0, 99);
    const now = this.services.now();
    const pending = (await this.services.approvals.getMany(ids)).filter(
      (r): r is ApprovalRecord => r?.status === 'pending',
    );
    const items = await Promise.all(
      pending.map(async (r) => approvalItem('', r, 'post', await this.services.history(r.host), now)),
    );
    return named(items, this.services.names);
  }

  /** Hosts seen (or whose agent beat) since the last push: healthy snapshots make no events. */
  private async pushHosts(): Promise<void> {
    if (this.subscribers.size === 0) return;
    const since = this.hostsSince;
    const now = this.services.now().getTime();
    try {
      const [hosts, agents] = await Promise.all([
        this.redis.zrangebyscore(keys.hosts, `(${since}`, '+inf', 'LIMIT', 0, 500),
        this.redis.zrangebyscore(keys.agents, `(${since}`, '+inf', 'LIMIT', 0, 500),
      ]);
      this.hostsSince = now - HOSTS_OVERLAP_MS;
      const changed = [...new Set([...hosts, ...agents])];
      if (changed.length === 0) return;
      const rows = await hostRows(this.redis, now, this.services.policy.agent.heartbeat_multiple, changed);
      for (const sub of this.subscribers) sub.client.hosts(rows);
    } catch (err) {
      this.logger.warn({ err }, 'console feed: reading changed hosts failed');
    }
  }
}
