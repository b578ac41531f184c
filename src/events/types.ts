import type { Decision } from '../core/decide/types.js';
import type { ApprovalRecord } from '../approvals/record.js';
import type { Signal, Snapshot } from '../core/snapshot/schema.js';

/** How an action job ended; the audit's auto-heal rate counts success, failure and unknown. */
export type ActionOutcome = 'success' | 'failure' | 'unknown' | 'dry_run';

/** One argv the executor ran (or, in dry-run, would have run). */
export interface StepResult {
  readonly argv: readonly string[];
  /** null when it did not run (dry-run, an earlier step failed) or was killed. */
  readonly exit_code: number | null;
  readonly timed_out: boolean;
  readonly duration_ms: number;
  /** Capped output, for the thread and the audit. */
  readonly output: string;
}

/** Re-measurement after a heal: did the targeted signal drop back below its threshold? */
export interface VerifyResult {
  readonly signal: Signal;
  readonly before: number;
  readonly after: number;
  readonly threshold: number;
  readonly recovered: boolean;
}

/** The incident "signal" of a silent agent (`agent.silent`): beside the five, never seen by the model or the decision table. */
export const AGENT_SIGNAL = 'agent_heartbeat';

/** An auto-heal's action job, as its notice names it for the audit. */
export interface StartedJob {
  readonly key: string;
  readonly action: string;
  readonly incident_id: string;
  readonly params: Readonly<Record<string, unknown>>;
}

/**
 * What happened. Every state change writes its event to one Redis stream
 * in the same script that makes the change; the audit chain
 * (src/audit/recorder.ts), chat (the notifier) and the metrics each consume
 * that stream through a consumer group of their own, so a change can be
 * neither unaudited nor unannounced. The audit-only types (AUDIT_ONLY) are
 * not shown in chat.
 */
export type HealgateEvent =
  /** The notice of newly opened incidents: the auto-heal jobs started for them, or none when nothing could run. */
  | {
      type: 'incident.opened';
      host: string;
      incident_ids: string[];
      decision: Decision;
      actions: string[];
      dry_run: boolean;
      jobs: StartedJob[];
    }
  | { type: 'incident.resolved'; host: string; incident_id: string; signal: string; value: number }
  /**
   * A snapshot decided into new incidents (or a firewall request): the
   * decision and its incidents, `opened` now or open already. The audit
   * records it; the follow-up acts on it (src/pipeline/follow-up.ts).
   */
  | {
      type: 'decision.recorded';
      host: string;
      decision: Decision;
      snapshot: Snapshot;
      incidents: { id: string; signal: string; opened: boolean }[];
    }
  /** An action job an agent refused to run because the bot did not issue it for that host. */
  | {
      type: 'action.refused';
      host: string;
      job_id: string;
      reason: string;
      actions: string[];
      approval_id: string | null;
      claimed_host: string | null;
    }
  | { type: 'approval.requested'; approval: ApprovalRecord }
  | { type: 'approval.decided'; approval: ApprovalRecord }
  | {
      type: 'action.result';
      host: string;
      job_id: string;
      trigger: 'auto_heal' | 'approval';
      approval_id: string | null;
      incident_ids: string[];
      outcome: ActionOutcome;
      dry_run: boolean;
      actions: { id: string; outcome: ActionOutcome; steps: StepResult[] }[];
      /** null when the action names no signal to verify, or nothing ran. */
      verify: VerifyResult | null;
      /** One human sentence: what happened, e.g. "disk_usage 91.5 → 62.0: recovered". */
      detail: string;
      /** How long the agent's run took. */
      duration_ms: number;
    }
  /** An auto-heal's job that no agent took by its deadline: withdrawn, its slot given back, a human asked. */
  | {
      type: 'action.withdrawn';
      host: string;
      job_id: string;
      incident_ids: string[];
      actions: string[];
      reason: string;
    }
  | { type: 'breaker.tripped'; host: string; scope: 'host' | 'fleet'; reason: string; policy: string }
  /** A storm group changed (members joined, healed, were decided): its message is redrawn from the group book. */
  | { type: 'group.updated'; group_id: string; size: number }
  /** A host's agent stopped sending heartbeats; its return is an `incident.resolved` of signal `agent_heartbeat`. */
  | { type: 'agent.silent'; host: string; incident_id: string; last_seen: string; silent_ms: number };

export type ActionResultEvent = Extract<HealgateEvent, { type: 'action.result' }>;

/** Events for the audit alone: chat shows nothing for them. */
const AUDIT_ONLY = ['decision.recorded', 'action.refused'] as const;
export type ChatEvent = Exclude<HealgateEvent, { type: (typeof AUDIT_ONLY)[number] }>;

export function isChatEvent(e: HealgateEvent): e is ChatEvent {
  return !(AUDIT_ONLY as readonly string[]).includes(e.type);
}

/** The host an event is about. */
export function eventHost(e: HealgateEvent): string {
  if ('host' in e) return e.host;
  return 'approval' in e ? e.approval.host : '';
}
