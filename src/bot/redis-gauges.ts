import type { Redis } from 'ioredis';
import { isSilent } from '../agent/heartbeat.js';
import type { Metrics } from '../metrics.js';
import { keys } from '../redis/keys.js';

/** A scrape waits at most this long for Redis: Prometheus' own timeout is 10 s, an operator's curl less. */
export const READ_DEADLINE_MS = 700;
const EXPIRING_SOON_MS = 5 * 60_000;

export interface GaugeSources {
  readonly redis: Redis;
  readonly ingestDepth: () => Promise<number>;
  readonly actionDepths: () => Promise<Record<string, number>>;
  readonly heartbeatMultiple: number;
  readonly now: () => Date;
}

interface Reading {
  readonly ingest: number;
  readonly actions: Record<string, number>;
  readonly pending: number;
  readonly expiringSoon: number;
  readonly incidents: Map<string, number>;
  readonly agents: { alive: number; silent: number };
  readonly backlogs: ReadonlyMap<string, number>;
}

/**
 * The Redis-derived gauges. Each scrape reads Redis once, within a deadline;
 * when Redis is down or slow the gauges keep their last good values and
 * `healgate_redis_up` says 0, so /metrics answers at once during an outage,
 * exactly when it is wanted.
 */
export class RedisGauges {
  private reading: Promise<Reading> | undefined;

  constructor(
    private readonly metrics: Metrics,
    private readonly sources: GaugeSources,
  ) {}

  async refresh(): Promise<void> {
    const { metrics } = this;
    // Commands wait for a reconnect rather than fail: while Redis is down none is sent.
    if (this.sources.redis.status !== 'ready') {
      metrics.redisUp.set(0);
      return;
    }
    // One read at a time: a read that outlived its deadline is reused, not stacked.
    const reading = (this.reading ??= this.read().finally(() => (this.reading = undefined)));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), READ_DEADLINE_MS)));
    const result = await Promise.race([reading.catch(() => undefined), late]);
    clearTimeout(timer);
    if (!result) {
      metrics.redisUp.set(0);
      return;
    }
    this.show(result);
  }

  private show(r: Reading): void {
    const { metrics } = this;
    metrics.redisUp.set(1);
    metrics.redisReadAt.set(this.sources.now().getTime() / 1000);
    metrics.queueDepth.reset();
    metrics.queueDepth.set({ queue: 'ingest' }, r.ingest);
    for (const [host, depth] of Object.entries(r.actions)) metrics.queueDepth.set({ queue: `actions:${host}` }, depth);
    metrics.eventsBacklog.reset();
    for (const [group, n] of r.backlogs) metrics.eventsBacklog.set({ group }, n);
    metrics.pendingApprovals.set(r.pending);
    metrics.approvalsExpiringSoon.set(r.expiringSoon);
    metrics.openIncidents.reset();
    for (const [signal, n] of r.incidents) metrics.openIncidents.set({ signal }, n);
    metrics.agents.set({ state: 'alive' }, r.agents.alive);
    metrics.agents.set({ state: 'silent' }, r.agents.silent);
  }

  private async read(): Promise<Reading> {
    const { redis, heartbeatMultiple } = this.sources;
    const now = this.sources.now().getTime();
    const [ingest, actions, backlogs, hosts, agentHosts, counts] = await Promise.all([
      this.sources.ingestDepth(),
      this.sources.actionDepths(),
      eventBacklogs(redis),
      redis.zrange(keys.hosts, 0, -1),
      redis.zrange(keys.agents, 0, -1),
      redis
        .multi()
        .zcard(keys.approvalsPending)
        .zcount(keys.approvalsPending, '-inf', now + EXPIRING_SOON_MS)
        .exec(),
    ]);
    const read = redis.pipeline();
    for (const host of hosts) read.hkeys(keys.hostIncidents(host));
    for (const host of agentHosts) read.hmget(keys.agent(host), 'last_seen', 'interval_ms');
    const replies = (await read.exec()) ?? [];
    const incidents = new Map<string, number>();
    for (const [, signals] of replies.slice(0, hosts.length))
      for (const signal of (signals ?? []) as string[]) incidents.set(signal, (incidents.get(signal) ?? 0) + 1);
    const agents = { alive: 0, silent: 0 };
    for (const [, beat] of replies.slice(hosts.length)) {
      const [lastSeen, interval] = (beat ?? []) as (string | null)[];
      const b = lastSeen && interval ? { last_seen: Number(lastSeen), interval_ms: Number(interval) } : undefined;
      agents[isSilent(b, now, heartbeatMultiple) ? 'silent' : 'alive'] += 1;
    }
    const [pending, expiringSoon] = (counts ?? []).map(([, n]) => Number(n));
    return {
      ingest,
      actions,
      pending: pending ?? 0,
      expiringSoon: expiringSoon ?? 0,
      incidents,
      agents,
      backlogs,
    };
  }
}

/** Each consumer group on the event stream: what it holds unacknowledged plus what it has not read. */
async function eventBacklogs(redis: Redis): Promise<Map<string, number>> {
  const groups = (await redis.xinfo('GROUPS', keys.events).catch(() => [])) as (string | number | null)[][];
  const backlogs = new Map<string, number>();
  for (const fields of groups) {
    const info = new Map<string, string | number | null>();
    for (let i = 0; i + 1 < fields.length; i += 2) info.set(String(fields[i]), fields[i + 1] ?? null);
    backlogs.set(String(info.get('name')), Number(info.get('pending') ?? 0) + Number(info.get('lag') ?? 0));
  }
  return backlogs;
}
