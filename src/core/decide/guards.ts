import type { PolicyDocument } from '../policy/schema.js';
import type { DecisionContext, PlannedAction } from './types.js';

const HOUR_MS = 3_600_000;

export type Guard =
  | { rule: 'breaker_host'; reason: string }
  | { rule: 'breaker_fleet'; reason: string }
  | { rule: 'cooldown'; reason: string }
  | { rule: 'no_agent'; reason: string };

/** A breaker that holds an auto-heal, with its count as it stood when it held. */
export interface BreakerHold {
  readonly scope: 'host' | 'fleet';
  readonly host: string;
  /** Auto-heals of the host in the last hour, or other hosts auto-healing now. */
  readonly count: number;
  readonly max: number;
  /** How many slots the held auto-heal asked for (one per action). */
  readonly asked: number;
}

export function breakerGuard(hold: BreakerHold): Guard {
  if (hold.scope === 'host') {
    const more = hold.asked > 1 ? `, ${hold.asked} more asked` : '';
    return {
      rule: 'breaker_host',
      reason: `circuit breaker: ${hold.count} auto-heals on ${hold.host} in the last hour${more} (max ${hold.max})`,
    };
  }
  return {
    rule: 'breaker_fleet',
    reason: `circuit breaker: ${hold.count} other hosts are auto-healing now (max ${hold.max})`,
  };
}

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
  // The bot takes breaker slots atomically after deciding (breaker-reserve.lua): a count read before would be stale.
  if (!context.breakersReserved) {
    const lastHour = context.recentAutoHeals.filter((h) => context.now - h.at < HOUR_MS).length;
    if (lastHour + actions.length > perHost)
      return breakerGuard({ scope: 'host', host, count: lastHour, max: perHost, asked: actions.length });
    const others = new Set(context.hostsAutoHealing.filter((h) => h !== host)).size;
    if (others >= fleet)
      return breakerGuard({ scope: 'fleet', host, count: others, max: fleet, asked: actions.length });
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
