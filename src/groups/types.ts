/**
 * Where each host of a storm stands, as its group message shows it:
 * healing (its auto-heal is running), held (waiting for a human: a breaker,
 * a cooldown, a risky signal, no agent), decided, done.
 */
export type MemberState =
  | 'healing'
  | 'noticed'
  | 'held'
  | 'approved'
  | 'rejected'
  | 'expired'
  | 'healed'
  | 'failed'
  | 'unknown'
  | 'withdrawn'
  | 'resolved';

export interface GroupMember {
  /** The incident (or, for a request without one, the approval) the member stands for. */
  readonly key: string;
  readonly host: string;
  readonly state: MemberState;
  readonly incident_ids: readonly string[];
  /** Those of its incidents that resolved already; the member is resolved when all have. */
  readonly resolved_ids: readonly string[];
  readonly approval_id: string | null;
  /** The decision rule that held it (breaker_fleet, cooldown, risky_action, no_agent, …). */
  readonly held_by: string | null;
  readonly expires_at: string | null;
  /** The fired signals' values when it joined. */
  readonly values: readonly { readonly signal: string; readonly value: number }[];
  /** When it joined (ms), for a stable order. */
  readonly joined: number;
}

/** A storm's conversation: incidents of one kind that opened within the grouping window. */
export interface GroupView {
  readonly id: string;
  /** What its members share, e.g. `disk_usage/disk_cleanup`. */
  readonly kind: string;
  readonly signals: readonly string[];
  readonly actions: readonly string[];
  readonly opened_at: string;
  /** In the order they joined. */
  readonly members: readonly GroupMember[];
}

/** How a group is told apart; the policy's `grouping.by` picks the parts. */
export interface GroupKind {
  readonly kind: string;
  readonly signals: readonly string[];
  readonly actions: readonly string[];
}
