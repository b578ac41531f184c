import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The bot's Prometheus metrics. Counters carry no host label (a fleet's
 * hosts would make their series unbounded); per-host detail is in the API.
 * Node's default metrics keep their standard names, so stock Node.js
 * dashboards find them.
 */

/** How a notification to one chat platform ended (after the notifier's retries). */
export type NotificationResult = 'delivered' | 'failed';
/** What became of an audit entry an event stands for: appended, or refused by the audit's own validation. */
export type AuditEntryResult = 'recorded' | 'refused';
/** What became of an Alertmanager alert (or another source's signal). */
export type AlertResult = 'accepted' | 'duplicate' | 'ignored';

// Counted where the work happens (the notifier, the Alertmanager route): one
// set per process, shown by every registry a bot in this process makes.
const notifications = new Counter({
  name: 'healgate_notifications_total',
  help: 'Notifications to chat platforms by platform and result (delivered, failed)',
  labelNames: ['platform', 'result'] as const,
  registers: [],
});
const alerts = new Counter({
  name: 'healgate_alerts_total',
  help: 'Alerts received by result (accepted, duplicate, ignored) and reason',
  labelNames: ['result', 'reason'] as const,
  registers: [],
});

const auditEntries = new Counter({
  name: 'healgate_audit_entries_total',
  help: 'Audit entries written from events by result (recorded, refused: invalid, logged as an error)',
  labelNames: ['result'] as const,
  registers: [],
});

export function countAuditEntries(result: AuditEntryResult, count: number): void {
  if (count > 0) auditEntries.inc({ result }, count);
}

/** One notification's end on `platform` (slack, discord, console, log). */
export function countNotification(platform: string, result: NotificationResult): void {
  notifications.inc({ platform, result });
}

/** One alert's fate; `reason` must come from a fixed set (e.g. `resolved`, `unknown_host`, `new`). */
export function countAlert(result: AlertResult, reason: string): void {
  alerts.inc({ result, reason });
}

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // Gauges named like counters (promtool warns); their by-type twins (nodejs_active_handles{type}…) hold the same.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'])
    registry.removeSingleMetric(name);
  registry.registerMetric(notifications);
  registry.registerMetric(alerts);
  registry.registerMetric(auditEntries);
  const registers = [registry];
  return {
    registry,
    decisions: new Counter({
      name: 'healgate_decisions_total',
      help: 'Decisions by outcome',
      labelNames: ['decision'] as const,
      registers,
    }),
    ingested: new Counter({
      name: 'healgate_snapshots_ingested_total',
      help: 'Snapshots accepted by the API',
      registers,
    }),
    ingestToDecision: new Histogram({
      name: 'healgate_ingest_to_decision_seconds',
      help: 'From a batch of snapshots accepted by the API to its decisions written',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    httpRequests: new Counter({
      name: 'healgate_http_requests_total',
      help: 'HTTP requests by method, route (its pattern, or "unmatched") and status code',
      labelNames: ['method', 'route', 'status'] as const,
      registers,
    }),
    httpDuration: new Histogram({
      name: 'healgate_http_request_duration_seconds',
      help: 'HTTP request time by route pattern',
      labelNames: ['route'] as const,
      buckets: [0.005, 0.025, 0.1, 0.25, 1, 2.5, 10],
      registers,
    }),
    // From the events stream (src/bot/event-metrics.ts): each replica counts its share.
    actionDuration: new Histogram({
      name: 'healgate_action_duration_seconds',
      help: 'Remediation action run time by action and outcome, as agents reported it',
      labelNames: ['action', 'outcome'] as const,
      buckets: [0.1, 0.5, 1, 5, 15, 60, 300],
      registers,
    }),
    actionResults: new Counter({
      name: 'healgate_action_results_total',
      help: 'Remediation actions by action, outcome and trigger (auto_heal, approval), as agents reported them',
      labelNames: ['action', 'outcome', 'trigger'] as const,
      registers,
    }),
    approvalsRequested: new Counter({
      name: 'healgate_approvals_requested_total',
      help: 'Approval requests sent to humans',
      registers,
    }),
    approvalOutcomes: new Counter({
      name: 'healgate_approval_outcomes_total',
      help: 'Approval requests by how they ended (approved, rejected, expired)',
      labelNames: ['outcome'] as const,
      registers,
    }),
    incidentsOpened: new Counter({
      name: 'healgate_incidents_opened_total',
      help: 'Incident announcements (one per batch of signals opened together on a host)',
      registers,
    }),
    incidentsResolved: new Counter({
      name: 'healgate_incidents_resolved_total',
      help: 'Incidents resolved, by signal',
      labelNames: ['signal'] as const,
      registers,
    }),
    breakerTrips: new Counter({
      name: 'healgate_breaker_trips_total',
      help: 'Circuit breaker trips by scope (host, fleet)',
      labelNames: ['scope'] as const,
      registers,
    }),
    actionsWithdrawn: new Counter({
      name: 'healgate_actions_withdrawn_total',
      help: 'Auto-heals withdrawn because no agent took them by their deadline',
      registers,
    }),
    agentsSilenced: new Counter({
      name: 'healgate_agent_silences_total',
      help: 'Agents that stopped sending heartbeats',
      registers,
    }),
    // From Redis (src/bot/redis-gauges.ts): the last good read, kept through an outage.
    redisUp: new Gauge({
      name: 'healgate_redis_up',
      help: '1 when the last read of Redis for these metrics succeeded within its deadline, else 0',
      registers,
    }),
    redisReadAt: new Gauge({
      name: 'healgate_redis_last_read_timestamp_seconds',
      help: 'When the Redis-derived gauges were last read successfully (they keep that value while Redis is down)',
      registers,
    }),
    queueDepth: new Gauge({
      name: 'healgate_queue_depth',
      help: 'Jobs waiting per queue',
      labelNames: ['queue'] as const,
      registers,
    }),
    eventsBacklog: new Gauge({
      name: 'healgate_events_backlog',
      help: 'Events a consumer of the event stream (audit, follow-up, notifier) has not finished: read and unacknowledged, or not read yet',
      labelNames: ['group'] as const,
      registers,
    }),
    pendingApprovals: new Gauge({
      name: 'healgate_pending_approvals',
      help: 'Approval requests waiting for a human',
      registers,
    }),
    approvalsExpiringSoon: new Gauge({
      name: 'healgate_pending_approvals_expiring_soon',
      help: 'Pending approval requests that expire within the next 5 minutes',
      registers,
    }),
    openIncidents: new Gauge({
      name: 'healgate_open_incidents',
      help: 'Open incidents by signal',
      labelNames: ['signal'] as const,
      registers,
    }),
    agents: new Gauge({
      name: 'healgate_agents',
      help: 'Agents by state (alive, silent) from their heartbeats',
      labelNames: ['state'] as const,
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
