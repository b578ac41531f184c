import type { Redis } from 'ioredis';
import { principalId, type Principal } from '../core/policy/approvers.js';
import { keys } from '../redis/keys.js';

/** Names kept in memory; a fleet's approvers are far fewer. */
const CACHE_MAX = 2000;

/**
 * The names people acted under (a Slack or Discord click, the console's
 * sign-in), by principal id, so that the console and the audit view show
 * "Alice" where a record only has `slack:U1` (a firewall requester, an
 * audit actor). A name is read from Redis once per process, then cached;
 * an id nobody named yet is asked again next time.
 */
export class PeopleNames {
  private readonly cache = new Map<string, string>();

  constructor(private readonly redis: Redis) {}

  /** Records the name a person acts under now; the latest one wins. */
  async remember(p: Principal): Promise<void> {
    if (!p.displayName) return;
    const id = principalId(p);
    if (this.cache.get(id) === p.displayName) return;
    await this.redis.hset(keys.chatNames, id, p.displayName);
    this.keep(id, p.displayName);
  }

  /** Names of these ids, where known. */
  async resolve(ids: readonly string[]): Promise<Map<string, string>> {
    const wanted = [...new Set(ids)].filter((id) => !this.cache.has(id));
    if (wanted.length > 0) {
      const names = await this.redis.hmget(keys.chatNames, ...wanted);
      wanted.forEach((id, i) => {
        const name = names[i];
        if (name) this.keep(id, name);
      });
    }
    const out = new Map<string, string>();
    for (const id of ids) {
      const name = this.cache.get(id);
      if (name) out.set(id, name);
    }
    return out;
  }

  private keep(id: string, name: string): void {
    this.cache.delete(id);
    this.cache.set(id, name);
    if (this.cache.size > CACHE_MAX) this.cache.delete(this.cache.keys().next().value!);
  }
}
