import type { Redis } from 'ioredis';
import { RUN_TTL_S } from '../actions/queues.js';
import { keys } from '../redis/keys.js';
import { LuaScript } from '../redis/lua.js';
import type { AgentRun } from '../reports/schema.js';

export type RunState =
  | { readonly state: 'claimed' }
  | { readonly state: 'running'; readonly instance: string; readonly started_at: number }
  | { readonly state: 'done'; readonly result: AgentRun; readonly reported: boolean }
  /** The bot withdrew the job before any agent took it (no agent in time): it must not run. */
  | { readonly state: 'withdrawn' };

export interface OrphanRun {
  readonly key: string;
  readonly instance: string;
  readonly started_at: number;
}

/**
 * Exactly-once bookkeeping for action jobs, by idempotency key. The first
 * delivery claims the key before anything runs; a later delivery finds it
 * running (the agent died mid-command: the outcome is unknown, and it is not
 * run again) or done (the earlier result is the answer).
 */
export class RunRecords {
  constructor(
    private readonly redis: Redis,
    private readonly host: string,
    readonly instance: string,
  ) {}

  async claim(key: string, at: number): Promise<RunState> {
    const reply = (await (
      await LuaScript.load('run-claim')
    ).run(
      this.redis,
      [keys.run(this.host, key), keys.runsActive(this.host)],
      [key, this.instance, at, this.host, RUN_TTL_S],
    )) as number | string[];
    if (!Array.isArray(reply)) return { state: 'claimed' };
    const h: Record<string, string> = {};
    for (let i = 0; i + 1 < reply.length; i += 2) h[reply[i]!] = reply[i + 1]!;
    return runState(h);
  }

  async read(key: string): Promise<RunState> {
    return runState(await this.redis.hgetall(keys.run(this.host, key)));
  }

  /** The result is stored before it is announced, so a crash in between re-announces rather than re-runs. */
  async finish(key: string, result: AgentRun): Promise<void> {
    await this.redis
      .multi()
      .hset(keys.run(this.host, key), 'state', 'done', 'result', JSON.stringify(result), 'reported', '0')
      .expire(keys.run(this.host, key), RUN_TTL_S)
      .srem(keys.runsActive(this.host), key)
      .exec();
  }

  async reported(key: string): Promise<void> {
    await this.redis.hset(keys.run(this.host, key), 'reported', '1');
  }

  /** Runs this host's agents started but never finished, other than this instance's own. */
  async orphans(): Promise<OrphanRun[]> {
    const out: OrphanRun[] = [];
    for (const key of await this.redis.smembers(keys.runsActive(this.host))) {
      const state = await this.read(key);
      if (state.state === 'running' && state.instance !== this.instance)
        out.push({ key, instance: state.instance, started_at: state.started_at });
      if (state.state === 'done') await this.redis.srem(keys.runsActive(this.host), key);
    }
    return out;
  }
}

function runState(h: Record<string, string | undefined>): Exclude<RunState, { state: 'claimed' }> {
  if (h.state === 'withdrawn') return { state: 'withdrawn' };
  if (h.state === 'done' && h.result)
    return { state: 'done', result: JSON.parse(h.result) as AgentRun, reported: h.reported === '1' };
  return { state: 'running', instance: h.instance ?? '', started_at: Number(h.started_at ?? 0) };
}
