import type { PolicyDocument } from '../policy/schema.js';
import type { DecisionContext, PlannedAction } from './types.js';

const HOUR_MS = 3_600_000;

export type Guard =
  | { rule: 'breaker_host'; reason: string }
  | { rule: 'breaker_fleet'; reason: string }
  | { rule: 'cooldown'; reason: string };

/**
 * Why an otherwise valid auto-heal must go to a human instead: the host's
 * or the fleet's circuit breaker is open, or an action is repeating within
 * its cooldown (it did not hold the last time).
 */
export function autoHealGuard(
  host: string,
  actions: readonly PlannedAction[],
  policy: Pick<PolicyDocument, 'breakers' | 'actions'>,
  context: DecisionContext,
): Guard | undefined {
  const { max_auto_heals_per_host_per_hour: perHost, max_hosts_auto_healing: fleet } = policy.breakers;
  const lastHour = context.recentAutoHeals.filter((h) => context.now - h.at < HOUR_MS).length;
  if (lastHour >= perHost) {
    return {
      rule: 'breaker_host',
      reason: `circuit breaker: ${lastHour} auto-heals on ${host} in the last hour (max ${perHost})`,
    };
  }
  const others = new Set(context.hostsAutoHealing.filter((h) => h !== host)).size;
  if (others >= fleet) {
    return {
      rule: 'breaker_fleet',
      reason: `circuit breaker: ${others} other hosts are auto-healing now (max ${fleet})`,
    };
  }
  for (const action of actions) {
    // An open incident is the fix in progress, not a relapse: the cooldown is for conditions that come back.
    if (context.openIncidents.includes(action.signal)) continue;
    const cooldown = policy.actions[action.id]?.cooldown ?? 0;
    const last = context.recentAutoHeals
      .filter((h) => h.action === action.id)
      .reduce((m, h) => Math.max(m, h.at), -Infinity);
    const since = context.now - last;
    if (since < cooldown) {
      return {
        rule: 'cooldown',
        reason: `${action.id} ran ${formatAgo(since)} ago, within its ${formatAgo(cooldown)} cooldown: the last fix did not hold`,
      };
    }
  }
  return undefined;
}

function formatAgo(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)}s`;
  if (ms < HOUR_MS) return `${Math.round(ms / 60_000)}m`;
  return `${(ms / HOUR_MS).toFixed(1).replace(/\.0$/, '')}h`;
}
