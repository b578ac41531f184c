import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { alertsCounter } from './alerts-metric.js';

export interface MetricSources {
  readonly ingestDepth: () => Promise<number>;
  readonly pendingApprovals: () => Promise<number>;
  readonly actionDepths: () => Promise<Record<string, number>>;
}

/** The bot's Prometheus metrics; the default set includes event-loop lag. */
export function createMetrics(sources: MetricSources) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'healgate_' });
  const decisions = new Counter({
    name: 'healgate_decisions_total',
    help: 'Decisions by outcome',
    labelNames: ['decision'] as const,
    registers: [registry],
  });
  const ingested = new Counter({
    name: 'healgate_snapshots_ingested_total',
    help: 'Snapshots accepted by the API',
    registers: [registry],
  });
  const actionDuration = new Histogram({
    name: 'healgate_action_duration_seconds',
    help: 'Remediation action run time',
    labelNames: ['action', 'outcome'] as const,
    buckets: [0.1, 0.5, 1, 5, 15, 60, 300],
    registers: [registry],
  });
  new Gauge({
    name: 'healgate_queue_depth',
    help: 'Jobs waiting per queue',
    labelNames: ['queue'] as const,
    registers: [registry],
    async collect() {
      this.set({ queue: 'ingest' }, await sources.ingestDepth());
      for (const [host, depth] of Object.entries(await sources.actionDepths()))
        this.set({ queue: `actions:${host}` }, depth);
    },
  });
  new Gauge({
    name: 'healgate_pending_approvals',
    help: 'Approval requests waiting for a human',
    registers: [registry],
    async collect() {
      this.set(await sources.pendingApprovals());
    },
  });
  const alerts = alertsCounter(registry);
  return { registry, decisions, ingested, actionDuration, alerts };
}

export type Metrics = ReturnType<typeof createMetrics>;
