import type { DecisionClass, Severity } from '../classes.js';
import type { Contribution } from '../model/classifier.js';
import type { FiredCondition } from '../policy/conditions.js';
import type { ParamValue } from '../policy/params.js';
import type { Signal } from '../snapshot/schema.js';

/**
 * What the shell knows about the world when it evaluates a snapshot. Times
 * are epoch milliseconds and `now` is an input like any other: the decision
 * never reads a clock.
 */
export interface DecisionContext {
  readonly now: number;
  /** Signals that already have an open incident on this host. */
  readonly openIncidents: readonly Signal[];
  /** This host's recent auto-heals (at least the last hour's). */
  readonly recentAutoHeals: readonly { readonly action: string; readonly at: number }[];
  /** Hosts with an auto-heal in flight right now, fleet-wide. */
  readonly hostsAutoHealing: readonly string[];
  /**
   * The caller reserves breaker slots itself once the decision says
   * AUTO_HEAL, and holds the decision with `holdAutoHeal` when refused:
   * the breakers are then not judged from this context's counts.
   */
  readonly breakersReserved?: boolean;
}

export const EMPTY_CONTEXT: DecisionContext = { now: 0, openIncidents: [], recentAutoHeals: [], hostsAutoHealing: [] };

export interface PlannedAction {
  readonly id: string;
  readonly risk: 'safe' | 'risky';
  /** The signal whose condition proposed it. */
  readonly signal: Signal;
  /** Parameter defaults from the policy; a request (e.g. a firewall change) supplies the rest. */
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly missing_params: readonly string[];
}

export interface SignalState extends FiredCondition {
  /** An incident for this signal is already open on the host: not news. */
  readonly open: boolean;
}

/** Which row of the decision table decided (README, "Decision table"). */
export type DecisionRule =
  | 'risky_action'
  | 'hitl_signal'
  | 'model_hitl'
  | 'low_confidence'
  | 'no_safe_action'
  | 'disagreement'
  | 'breaker_host'
  | 'breaker_fleet'
  | 'cooldown'
  /** Set by the bot, not the table: an auto-heal's job was not taken by any agent in time. */
  | 'no_agent'
  | 'auto_heal'
  | 'healthy'
  /** Set by the agent, not the table: an auto-heal ran and its signal did not recover. */
  | 'not_recovered';

export interface Decision {
  readonly host: string;
  readonly ts: string | null;
  readonly decision: DecisionClass;
  readonly severity: Severity;
  readonly rule: DecisionRule;
  readonly probabilities: [number, number, number];
  readonly model: string;
  readonly model_class: DecisionClass;
  readonly confidence: number;
  readonly policy: string;
  readonly reasons: readonly string[];
  readonly actions: readonly PlannedAction[];
  readonly signals: readonly SignalState[];
  readonly contributions: readonly Contribution[];
}
