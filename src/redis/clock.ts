import type { Redis } from 'ioredis';
import { Deadline } from './deadline.js';

/** A sample whose round trip took longer says too little about the offset. */
const MAX_SAMPLE_RTT_MS = 200;

/**
 * Redis's clock as seen from this process: deadlines checked by scripts
 * (Redis TIME) are written on it, so a bot host whose clock is off does not
 * move them. The offset is measured on a TIME round trip, at start and then
 * every `refreshMs`; its error is at most half the round trip, far inside
 * WRITE_GRACE_MS. Until the first sample, the clocks are taken as equal.
 */
export class RedisClock {
  private offsetMs = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly refreshMs = 30_000,
  ) {}

  readonly toRedis = (localMs: number): number => localMs + this.offsetMs;

  async sync(): Promise<void> {
    const sent = Date.now();
    const [seconds, micros] = await Deadline.after(1_000).race(this.redis.time());
    const received = Date.now();
    if (received - sent > MAX_SAMPLE_RTT_MS) return;
    this.offsetMs = Number(seconds) * 1000 + Number(micros) / 1000 - (sent + received) / 2;
  }

  /** A Redis that does not answer now keeps the last offset; the next refresh tries again. */
  async start(): Promise<void> {
    this.timer ??= setInterval(() => void this.sync().catch(() => undefined), this.refreshMs).unref();
    await this.sync().catch(() => undefined);
  }

  close(): void {
    clearInterval(this.timer);
  }
}
