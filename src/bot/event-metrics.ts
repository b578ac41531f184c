import type { Redis } from 'ioredis';
import { eventOf } from '../events/log.js';
import type { HealgateEvent } from '../events/types.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { keys } from '../redis/keys.js';

/**
 * Replicas share one consumer group, so each event is counted by exactly one
 * of them and Prometheus' sum over replicas is the fleet's count. NOACK: a
 * replica that dies loses the few events it was counting, never double counts.
 */
export const METRICS_GROUP = 'metrics';

type Entry = [id: string, fields: string[]];

/** What an event adds to the counters: approvals, action results, withdrawals, incidents, breakers, silent agents. */
export function countEvent(metrics: Metrics, event: HealgateEvent): void {
  switch (event.type) {
    case 'approval.requested':
      metrics.approvalsRequested.inc();
      return;
    case 'approval.decided':
      metrics.approvalOutcomes.inc({ outcome: event.approval.status });
      return;
    case 'action.result':
      for (const action of event.actions) {
        metrics.actionResults.inc({ action: action.id, outcome: action.outcome, trigger: event.trigger });
        const ms = action.steps.reduce((sum, step) => sum + step.duration_ms, 0);
        metrics.actionDuration.observe({ action: action.id, outcome: action.outcome }, ms / 1000);
      }
      return;
    case 'incident.opened':
      metrics.incidentsOpened.inc();
      return;
    case 'incident.resolved':
      metrics.incidentsResolved.inc({ signal: event.signal });
      return;
    case 'breaker.tripped':
      metrics.breakerTrips.inc({ scope: event.scope });
      return;
    case 'agent.silent':
      metrics.agentsSilenced.inc();
      return;
    case 'action.withdrawn':
      metrics.actionsWithdrawn.inc();
      return;
  }
}

/** Reads the events stream on its own connection (XREADGROUP BLOCK holds it) and counts what it reads. */
export class EventMetrics {
  private reader: Redis | undefined;
  private loop: Promise<void> | undefined;
  private running = false;

  constructor(
    private readonly redis: Redis,
    private readonly metrics: Metrics,
    private readonly consumer: string,
    private readonly logger: Logger,
    private readonly blockMs = 5000,
  ) {}

  async start(): Promise<void> {
    this.running = true;
    await this.createGroup();
    this.reader = this.redis.duplicate();
    this.reader.on('error', (err: Error) => this.logger.debug({ err: err.message }, 'event metrics: redis error'));
    this.loop = this.read(this.reader);
  }

  async close(): Promise<void> {
    this.running = false;
    this.reader?.disconnect();
    await this.loop;
    // NOACK leaves nothing pending: the consumer can go, so restarts do not pile them up in the group.
    if (this.redis.status === 'ready')
      await Promise.race([
        this.redis.xgroup('DELCONSUMER', keys.events, METRICS_GROUP, this.consumer).catch(() => undefined),
        new Promise((r) => setTimeout(r, 500).unref()),
      ]);
  }

  /** From now on: counters start at zero with the process, as Prometheus expects. */
  private async createGroup(): Promise<void> {
    await this.redis.xgroup('CREATE', keys.events, METRICS_GROUP, '$', 'MKSTREAM').catch((err: Error) => {
      if (!err.message.includes('BUSYGROUP')) throw err;
    });
  }

  private async read(reader: Redis): Promise<void> {
    while (this.running) {
      try {
        const reply = (await reader.xreadgroup(
          'GROUP',
          METRICS_GROUP,
          this.consumer,
          'COUNT',
          500,
          'BLOCK',
          this.blockMs,
          'NOACK',
          'STREAMS',
          keys.events,
          '>',
        )) as [string, Entry[]][] | null;
        for (const [, fields] of reply?.[0]?.[1] ?? []) {
          const event = eventOf(fields);
          if (event) countEvent(this.metrics, event);
        }
      } catch (err) {
        if (!this.running) return;
        // The stream or group went away (FLUSHALL, a restored Redis): make them again.
        if (err instanceof Error && err.message.includes('NOGROUP')) await this.createGroup().catch(() => undefined);
        else this.logger.warn({ err }, 'event metrics: reading the events stream failed; retrying');
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }
}
