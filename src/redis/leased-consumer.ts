import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { LeasedReader, type Entry, type LeasedReaderOptions } from './leased-reader.js';

/**
 * A stream consumed by one replica at a time through a LeasedReader: the
 * loop that takes the lease, reads, hands each batch to `handle`, and waits
 * and tries again when Redis fails under it. What `handle` does not
 * acknowledge is read again: by this replica once it has been idle for the
 * reader's `claimIdleMs`, or by the one that takes the lease over.
 */
export abstract class LeasedConsumer {
  protected running = false;
  protected readonly reader: LeasedReader;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(
    redis: Redis,
    private readonly readerOptions: LeasedReaderOptions,
    protected readonly logger: Logger,
  ) {
    this.reader = new LeasedReader(redis, readerOptions, logger);
  }

  /** Creates the consumer group: call it before anything writes to the stream, so that nothing is missed. */
  async start(): Promise<void> {
    await this.reader.start();
    this.running = true;
    this.loop = this.run();
  }

  async close(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.reader.close();
    await this.loop?.catch(() => undefined);
  }

  protected abstract handle(batch: readonly Entry[]): Promise<void>;

  protected sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        if (!(await this.reader.hold())) {
          await this.sleep(this.readerOptions.leaseMs / 5);
          continue;
        }
        const batch = await this.reader.next(1000);
        if (batch.length > 0) await this.handle(batch);
      } catch (err) {
        if (!this.running) return;
        this.logger.warn({ err, group: this.readerOptions.group }, 'reading events failed; retrying');
        await this.sleep(1000);
      }
    }
  }
}
