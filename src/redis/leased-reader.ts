import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { Lease } from './lease.js';

export type Entry = [id: string, fields: string[]];

/** When a stream entry was written: the milliseconds of its id (`ms-seq`). */
export function writtenMs(id: string): number {
  return Number(id.split('-')[0]);
}

export interface LeasedReaderOptions {
  readonly stream: string;
  readonly group: string;
  readonly leaseKey: string;
  /** This replica's name in the consumer group, and what the lease holds while it is ours. */
  readonly consumer: string;
  readonly leaseMs: number;
  /** Entries a dead replica left unacknowledged for this long are taken over. */
  readonly claimIdleMs: number;
  /** Consumers (past processes) idle this long with nothing pending are removed at start. */
  readonly pruneIdleMs: number;
}

/**
 * A stream read through a consumer group by one replica at a time: whoever
 * holds the lease reads, the others wait; a holder that dies lets its lease
 * lapse, and the next one claims what it left unacknowledged. While work
 * runs, the lease is renewed in the background, and `held` turns false the
 * moment a renewal fails, so a holder that lapsed stops before its next step
 * instead of racing the replica that took over (a fenced lease).
 */
export class LeasedReader {
  private readonly reader: Redis;
  private readonly lease: Lease;
  private renewer: NodeJS.Timeout | undefined;
  private ours = false;

  constructor(
    redis: Redis,
    private readonly options: LeasedReaderOptions,
    logger: Logger,
  ) {
    // XREADGROUP blocks its connection.
    this.reader = redis.duplicate();
    // Connection errors surface in the read loop; without a listener ioredis prints each one.
    this.reader.on('error', (err: Error) => logger.debug({ err: err.message, stream: options.stream }, 'redis error'));
    this.lease = new Lease(this.reader, options.leaseKey, options.consumer, options.leaseMs);
  }

  get held(): boolean {
    return this.ours;
  }

  async start(): Promise<void> {
    const { stream, group } = this.options;
    await this.reader.xgroup('CREATE', stream, group, '$', 'MKSTREAM').catch((err: Error) => {
      if (!err.message.includes('BUSYGROUP')) throw err;
    });
    await this.pruneConsumers();
    this.renewer = setInterval(() => void this.hold(), this.options.leaseMs / 3);
  }

  /** Takes or keeps the lease: true while it is ours. */
  async hold(): Promise<boolean> {
    try {
      this.ours = await this.lease.hold();
    } catch {
      this.ours = false;
    }
    return this.ours;
  }

  /** What the dead left unacknowledged, then what is new (waiting up to `blockMs`). */
  async next(blockMs: number): Promise<Entry[]> {
    return [...(await this.claimAbandoned()), ...(await this.read(blockMs))];
  }

  async read(blockMs: number): Promise<Entry[]> {
    const { stream, group, consumer } = this.options;
    const reply = (await this.reader.xreadgroup(
      'GROUP',
      group,
      consumer,
      'COUNT',
      500,
      'BLOCK',
      blockMs,
      'STREAMS',
      stream,
      '>',
    )) as [string, Entry[]][] | null;
    return reply?.[0]?.[1] ?? [];
  }

  async ack(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.reader.xack(this.options.stream, this.options.group, ...ids);
  }

  async close(): Promise<void> {
    clearInterval(this.renewer);
    this.ours = false;
    await this.lease.release().catch(() => undefined);
    this.reader.disconnect();
  }

  private async claimAbandoned(): Promise<Entry[]> {
    const { stream, group, consumer, claimIdleMs } = this.options;
    const reply = (await this.reader.xautoclaim(stream, group, consumer, claimIdleMs, '0-0', 'COUNT', 500)) as [
      string,
      Entry[],
    ];
    return reply[1] ?? [];
  }

  /** Every process start adds a consumer name; the ones long gone would otherwise pile up. */
  private async pruneConsumers(): Promise<void> {
    const { stream, group, consumer, pruneIdleMs } = this.options;
    const consumers = (await this.reader.xinfo('CONSUMERS', stream, group)) as (string | number)[][];
    for (const fields of consumers) {
      const info = new Map<string, string | number>();
      for (let i = 0; i + 1 < fields.length; i += 2) info.set(String(fields[i]), fields[i + 1]!);
      const name = String(info.get('name'));
      if (name !== consumer && Number(info.get('pending')) === 0 && Number(info.get('idle')) >= pruneIdleMs)
        await this.reader.xgroup('DELCONSUMER', stream, group, name);
    }
  }
}
