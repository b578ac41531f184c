import type { Decision } from '../core/decide/types.js';
import type { SignalViews } from '../core/signals/merge.js';
import type { Snapshot } from '../core/snapshot/schema.js';
import type { HistoryPoint } from '../pipeline/host-state.js';

export interface OpenIncident {
  readonly id: string;
  readonly signal: string;
  readonly opened_at: string;
  readonly value: number;
  readonly threshold: number;
  readonly approval_id: string | null;
}

/**
 * The answer to `/diagnose HOST` on every platform and `healgate diagnose`:
 * the snapshot the agent took for this request (or, when it did not answer
 * in time, the last one with its age), the model's view, the policy's
 * decision, open incidents and the recent trend.
 */
export interface Diagnosis {
  readonly host: string;
  /** true: the agent measured for this request; false: the last stored snapshot. */
  readonly fresh: boolean;
  /** The values decided on: the reading merged with what alerts and firewall requests hold. */
  readonly snapshot: Snapshot;
  /** Per signal: where its value came from, and the reading beside an alert's value. */
  readonly sources: SignalViews;
  readonly measured_at: string;
  readonly age_ms: number;
  /** Why the answer is not fresh, in words for humans; null when it is. */
  readonly note: string | null;
  readonly decision: Decision;
  readonly incidents: readonly OpenIncident[];
  /** Oldest first: [epoch ms, disk, memory, cpu, dns, firewall]. */
  readonly history: readonly HistoryPoint[];
}

export type DiagnoseOutcome =
  | { readonly ok: true; readonly diagnosis: Diagnosis }
  | { readonly ok: false; readonly reason: 'unknown_host' | 'invalid_host'; readonly message: string };

export interface Diagnoser {
  diagnose(host: string): Promise<DiagnoseOutcome>;
}
