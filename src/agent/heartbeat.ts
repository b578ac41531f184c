import type { Redis } from 'ioredis';
import { keys } from '../redis/keys.js';

export interface AgentBeat {
  readonly host: string;
  readonly last_seen: number;
  readonly interval_ms: number;
  readonly instance: string;
  readonly pid: number;
  readonly version: string;
}

/**
 * Records that this host's agent is alive; written at start and at every
 * poll, to the agent's own key only. The fleet's index of agents
 * (`keys.agents`) is the bot's: it adds a host when its snapshots arrive.
 */
export async function beat(redis: Redis, b: AgentBeat): Promise<void> {
  await redis.hset(keys.agent(b.host), {
    last_seen: String(b.last_seen),
    interval_ms: String(b.interval_ms),
    instance: b.instance,
    pid: String(b.pid),
    version: b.version,
  });
}

export async function readBeat(redis: Redis, host: string): Promise<AgentBeat | undefined> {
  const h = await redis.hgetall(keys.agent(host));
  if (!h.last_seen) return undefined;
  return {
    host,
    last_seen: Number(h.last_seen),
    interval_ms: Number(h.interval_ms),
    instance: h.instance ?? '',
    pid: Number(h.pid),
    version: h.version ?? '',
  };
}

/** Silent: no heartbeat within `multiple` of the agent's own poll interval (or never one at all). */
export function isSilent(
  b: Pick<AgentBeat, 'last_seen' | 'interval_ms'> | undefined,
  now: number,
  multiple: number,
): boolean {
  return !b || now - b.last_seen > multiple * b.interval_ms;
}
