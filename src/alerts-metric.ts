import { Counter, type Registry } from 'prom-client';

/**
 * Alertmanager's alerts by what became of them: `accepted` and `duplicate`
 * (a resend, an HA twin) by status, `ignored` by why (unknown_alertname,
 * no_host), so that a wrong policy table shows on a dashboard.
 */
export function alertsCounter(registry: Registry) {
  return new Counter({
    name: 'healgate_alerts_total',
    help: 'Alertmanager alerts received, by result and reason',
    labelNames: ['result', 'reason'] as const,
    registers: [registry],
  });
}
