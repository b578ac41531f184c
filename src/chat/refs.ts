import type { Redis } from 'ioredis';
import { keys } from '../redis/keys.js';

/** Long enough for an incident's whole life and its late results; then the thread is gone from memory. */
const REF_TTL_S = 30 * 86_400;

/**
 * Where a platform showed something (an incident's notice, an approval's
 * request), so that any replica can reply in its thread or edit it later.
 * Values are the adapter's own JSON (channel and ts, message id…).
 */
export class MessageRefs {
  constructor(private readonly redis: Redis) {}

  async get<T>(platform: string, subject: string): Promise<T | undefined> {
    const raw = await this.redis.get(keys.chatRef(platform, subject));
    return raw ? (JSON.parse(raw) as T) : undefined;
  }

  async set(platform: string, subject: string, ref: unknown): Promise<void> {
    await this.redis.set(keys.chatRef(platform, subject), JSON.stringify(ref), 'EX', REF_TTL_S);
  }

  /** Takes a one-time claim (e.g. a Slack retry or a double click handled once); true for the first caller. */
  async claim(platform: string, what: string, ttlSeconds: number): Promise<boolean> {
    return (await this.redis.set(keys.chatClaim(platform, what), '1', 'EX', ttlSeconds, 'NX')) === 'OK';
  }

  /** Gives a claim back, so that the next caller does the work (the first one failed at it). */
  async release(platform: string, what: string): Promise<void> {
    await this.redis.del(keys.chatClaim(platform, what));
  }
}
