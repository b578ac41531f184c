import type { Decision } from '../core/decide/types.js';
import type { ApprovalRecord } from '../approvals/record.js';
import type { Signal } from '../core/snapshot/schema.js';

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

/**
 * What happened, for the chat adapters (and the console) to show. Events
 * are written to one Redis stream; each replica's notifier takes its share
 * through a consumer group, so every event reaches chat once.
 */
export type HealgateEvent =
  | {
      type: 'incident.opened';
      host: string;
      incident_ids: string[];
      decision: Decision;
      actions: string[];
      dry_run: boolean;
    }
  | { type: 'incident.resolved'; host: string; incident_id: string; signal: string; value: number }
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
  | { type: 'breaker.tripped'; host: string; scope: 'host' | 'fleet'; reason: string }
  /** A storm group changed (members joined, healed, were decided): its message is redrawn from the group book. */
  | { type: 'group.updated'; group_id: string; size: number }
  /** A host's agent stopped sending heartbeats; its return is an `incident.resolved` of signal `agent_heartbeat`. */
  | { type: 'agent.silent'; host: string; incident_id: string; last_seen: string; silent_ms: number };

export type ActionResultEvent = Extract<HealgateEvent, { type: 'action.result' }>;

/** The host an event is about. */
export function eventHost(e: HealgateEvent): string {
  if ('host' in e) return e.host;
  return 'approval' in e ? e.approval.host : '';
}
