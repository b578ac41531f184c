import type { Redis } from 'ioredis';
import { LuaScript } from './lua.js';

/**
 * A lease in one Redis key, held by one owner at a time (lock-renew.lua,
 * lock-release.lua): taken when free, kept by renewing it before it lapses,
 * and lapsing by itself when its holder dies.
 */
export class Lease {
  constructor(
    private readonly redis: Redis,
    readonly key: string,
    /** What the key holds while we have it; compared as a whole. */
    readonly owner: string,
    readonly ms: number,
  ) {}

  /** Takes the lease when it is free, or keeps it when it is already ours: true while we hold it. */
  async hold(): Promise<boolean> {
    return (await (await LuaScript.load('lock-renew')).run(this.redis, [this.key], [this.owner, this.ms])) === 1;
  }

  /** Hands it on at once rather than after it lapses; only if it is still ours. */
  async release(): Promise<void> {
    await (await LuaScript.load('lock-release')).run(this.redis, [this.key], [this.owner]);
  }

  /** Who holds it now (as they wrote it), if anyone. */
  holder(): Promise<string | null> {
    return this.redis.get(this.key);
  }
}
