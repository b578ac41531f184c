import type { Redis } from 'ioredis';
import { AGENT_SIGNAL, type HealgateEvent } from '../events/types.js';
import type { Logger } from '../log.js';
import { openIncident, resolveIncident } from '../pipeline/incidents.js';
import { keys } from '../redis/keys.js';
import { isSilent, type AgentBeat } from './heartbeat.js';

export interface LivenessDeps {
  readonly redis: Redis;
  readonly heartbeatMultiple: number;
  readonly now: () => Date;
  readonly logger: Logger;
}

/**
 * The bot's watch over agents: an agent without a heartbeat for longer than
 * the policy's multiple of its own interval gets an incident (opened once,
 * whichever replica sees it first), resolved when the heartbeat returns;
 * each with its event, written by the incident change itself.
 */
export class LivenessWatch {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly deps: LivenessDeps,
    private readonly everyMs: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= this.check()
        .catch((err: unknown) => this.deps.logger.warn({ err }, 'agent liveness check failed'))
        .finally(() => (this.running = undefined));
    }, this.everyMs);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass over every agent that ever reported: two reads per agent, in one round trip. */
  async check(): Promise<void> {
    const { redis } = this.deps;
    const hosts = await redis.zrange(keys.agents, 0, -1);
    if (hosts.length === 0) return;
    const pipeline = redis.pipeline();
    for (const host of hosts)
      pipeline.hmget(keys.agent(host), 'last_seen', 'interval_ms').hget(keys.hostIncidents(host), AGENT_SIGNAL);
    const replies = (await pipeline.exec()) ?? [];
    const at = this.deps.now();
    for (const [i, host] of hosts.entries()) {
      const [lastSeen, interval] = (replies[2 * i]?.[1] ?? []) as (string | null)[];
      const open = replies[2 * i + 1]?.[1] as string | null;
      const beat: Pick<AgentBeat, 'last_seen' | 'interval_ms'> | undefined =
        lastSeen && interval ? { last_seen: Number(lastSeen), interval_ms: Number(interval) } : undefined;
      if (!beat) continue;
      const silent = isSilent(beat, at.getTime(), this.deps.heartbeatMultiple);
      if (silent && !open) await this.opened(host, beat, at);
      if (!silent && open) await this.back(host, beat, at);
    }
  }

  private async opened(host: string, beat: Pick<AgentBeat, 'last_seen' | 'interval_ms'>, at: Date): Promise<void> {
    const silentMs = at.getTime() - beat.last_seen;
    const silent: Extract<HealgateEvent, { type: 'agent.silent' }> = {
      type: 'agent.silent',
      host,
      incident_id: '$INCIDENT_ID',
      last_seen: new Date(beat.last_seen).toISOString(),
      silent_ms: silentMs,
    };
    await openIncident(
      this.deps.redis,
      host,
      {
        signal: AGENT_SIGNAL,
        value: Math.round(silentMs / 1000),
        threshold: Math.round((this.deps.heartbeatMultiple * beat.interval_ms) / 1000),
        class: 'HITL_REQUIRED',
      },
      { json: JSON.stringify(silent), always: false },
      at,
    );
  }

  private async back(host: string, beat: Pick<AgentBeat, 'last_seen'>, at: Date): Promise<void> {
    const value = Math.max(0, Math.round((at.getTime() - beat.last_seen) / 1000));
    await resolveIncident(this.deps.redis, host, AGENT_SIGNAL, value, at);
  }
}
