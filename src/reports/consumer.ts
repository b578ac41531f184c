import type { Redis } from 'ioredis';
import type { z } from 'zod';
import { HOST_PATTERN } from '../core/snapshot/schema.js';
import type { Logger } from '../log.js';
import { sibling } from '../redis/connect.js';
import { keys } from '../redis/keys.js';
import {
  actionReportSchema,
  refusalReportSchema,
  snapshotReportSchema,
  type ActionReport,
  type RefusalReport,
  type SnapshotReport,
} from './schema.js';

export const REPORT_GROUP = 'bot';

export interface Received<T> {
  /** The stream entry's id: unique per host and stream. */
  readonly entry: string;
  readonly report: T;
}

/** What the bot does with reports; a handler that throws leaves its entries to be delivered again. */
export interface ReportHandlers {
  snapshots(host: string, received: readonly Received<SnapshotReport>[]): Promise<void>;
  /** `id`: the report's own id (the job's idempotency key), the same on every redelivery. */
  action(host: string, id: string, report: ActionReport): Promise<void>;
  /** A job the agent refused to run. */
  refusedJob(host: string, id: string, report: RefusalReport): Promise<void>;
  /** A report that is not what an agent writes: never acted on. */
  refused(host: string, entry: string, why: string): Promise<void>;
}

export interface ConsumerOptions {
  readonly consumer: string;
  /** How long one read waits for new entries (and so how soon a new host or a close is noticed). */
  readonly blockMs: number;
  /** Entries another replica took and did not acknowledge for this long are taken over. */
  readonly claimIdleMs: number;
}

type StreamReply = [stream: string, entries: [id: string, fields: string[]][]][];

/**
 * The bot's consumer of the agents' report streams, one consumer group over
 * all of them, so each report reaches one replica. Processed entries are
 * acknowledged and deleted; an entry whose processing failed stays pending
 * and is claimed again once it has been idle for `claimIdleMs`.
 */
export class ReportConsumer {
  private readonly known = new Set<string>();
  private running: Promise<void> | undefined;
  private closing = false;
  private lastClaim = 0;
  private announcing = false;
  private readonly reader: Redis;

  constructor(
    private readonly redis: Redis,
    private readonly handlers: ReportHandlers,
    private readonly options: ConsumerOptions,
    private readonly logger: Logger,
  ) {
    this.reader = sibling(redis);
  }

  start(): void {
    this.running = this.loop();
  }

  /** Stops reading, then handles what is already in the streams (an agent closing beside the bot reported last). */
  async close(): Promise<void> {
    this.closing = true;
    if (!this.running) return this.reader.disconnect();
    await this.running;
    try {
      await this.refresh();
      while ((await this.readOnce(this.redis, false)) > 0);
    } catch (err) {
      this.logger.warn({ err }, 'could not handle the last reports before closing');
    }
    this.reader.disconnect();
  }

  private async loop(): Promise<void> {
    while (!this.closing) {
      try {
        // Also here: a replica that another one beat to an announcement still learns the host.
        await this.refresh();
        await this.readOnce(this.reader, true);
        if (Date.now() - this.lastClaim >= this.options.claimIdleMs / 2) await this.claim();
      } catch (err) {
        if (this.closing) break;
        // Redis lost the groups (a restart without its data): make them again.
        if (err instanceof Error && err.message.startsWith('NOGROUP')) {
          this.announcing = false;
          this.known.clear();
        }
        this.logger.warn({ err }, 'reading agent reports failed; retrying');
        await new Promise((r) => setTimeout(r, this.options.blockMs));
      }
    }
  }

  /** New hosts (agents add themselves to the set): their streams get the group. */
  private async refresh(): Promise<void> {
    if (!this.announcing) await this.createGroup(keys.reportersAnnounce);
    this.announcing = true;
    const hosts = (await this.redis.smembers(keys.reporters)).filter((h) => HOST_PATTERN.test(h) && !this.known.has(h));
    for (const host of hosts) {
      for (const stream of [keys.agentSnapshots(host), keys.agentReports(host)]) await this.createGroup(stream);
      this.known.add(host);
    }
  }

  private async createGroup(stream: string): Promise<void> {
    await this.redis.xgroup('CREATE', stream, REPORT_GROUP, '0', 'MKSTREAM').catch((err: unknown) => {
      if (!(err instanceof Error && err.message.startsWith('BUSYGROUP'))) throw err;
    });
  }

  /** The announcements first: a new host's streams are read in the very next round. */
  private streams(): string[] {
    return [keys.reportersAnnounce, ...[...this.known].flatMap((h) => [keys.agentSnapshots(h), keys.agentReports(h)])];
  }

  /** One read of new entries over every stream; returns how many entries it handled. */
  private async readOnce(client: Redis, block: boolean): Promise<number> {
    const streams = this.streams();
    const wait = block ? ['BLOCK', this.options.blockMs] : [];
    const reply = (await client.call(
      'XREADGROUP',
      'GROUP',
      REPORT_GROUP,
      this.options.consumer,
      'COUNT',
      100,
      ...wait,
      'STREAMS',
      ...streams,
      ...streams.map(() => '>'),
    )) as StreamReply | null;
    let handled = 0;
    for (const [stream, entries] of reply ?? []) handled += await this.handle(stream, entries);
    return handled;
  }

  /** Entries of a replica that died (or of a handler that failed) before acknowledging them. */
  private async claim(): Promise<void> {
    this.lastClaim = Date.now();
    for (const stream of this.streams()) {
      const [, entries] = (await this.redis.xautoclaim(
        stream,
        REPORT_GROUP,
        this.options.consumer,
        this.options.claimIdleMs,
        '0',
        'COUNT',
        100,
      )) as [string, [string, string[] | null][]];
      const live = entries.filter((e): e is [string, string[]] => e[1] !== null);
      if (live.length > 0) await this.handle(stream, live);
    }
  }

  private async handle(stream: string, entries: [string, string[]][]): Promise<number> {
    if (entries.length === 0) return 0;
    const host = hostOfStream(stream);
    const done: string[] = [];
    if (stream === keys.reportersAnnounce) {
      await this.refresh();
      done.push(...entries.map(([entry]) => entry));
    } else if (stream === keys.agentSnapshots(host)) {
      const good: Received<SnapshotReport>[] = [];
      for (const [entry, fields] of entries) {
        const parsed = parseReport(fields, snapshotReportSchema);
        if (parsed.ok) good.push({ entry, report: parsed.value });
        else await this.handlers.refused(host, entry, parsed.why);
      }
      await this.handlers.snapshots(host, good);
      done.push(...entries.map(([entry]) => entry));
    } else {
      for (const [entry, fields] of entries) {
        await this.handleReport(host, entry, fields);
        done.push(entry);
      }
    }
    await this.redis
      .multi()
      .xack(stream, REPORT_GROUP, ...done)
      .xdel(stream, ...done)
      .exec();
    return entries.length;
  }

  private async handleReport(host: string, entry: string, fields: readonly string[]): Promise<void> {
    const id = field(fields, 'id');
    if (!id) return this.handlers.refused(host, entry, 'no report id');
    if (field(fields, 'kind') === 'refused') {
      const parsed = parseReport(fields, refusalReportSchema);
      return parsed.ok
        ? this.handlers.refusedJob(host, id, parsed.value)
        : this.handlers.refused(host, entry, parsed.why);
    }
    const parsed = parseReport(fields, actionReportSchema);
    return parsed.ok ? this.handlers.action(host, id, parsed.value) : this.handlers.refused(host, entry, parsed.why);
  }
}

/** `healgate:agent:<host>:reports` → host (host names hold no `:`). */
function hostOfStream(stream: string): string {
  return stream.split(':')[2] ?? '';
}

function field(fields: readonly string[], name: string): string | undefined {
  const i = fields.indexOf(name);
  return i >= 0 && i % 2 === 0 ? fields[i + 1] : undefined;
}

type Parsed<T> = { ok: true; value: T } | { ok: false; why: string };

function parseReport<T>(fields: readonly string[], schema: z.ZodType<T>): Parsed<T> {
  let raw: unknown;
  try {
    raw = JSON.parse(field(fields, 'report') ?? '');
  } catch {
    return { ok: false, why: 'not JSON' };
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  return { ok: false, why: `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}` };
}
