import { CLASSES, type DecisionClass } from '../core/classes.js';
import { AUDIT_TYPES, type AuditEntry, type AuditType } from './schema.js';

/**
 * Order of the counters in a rollup record (see audit-append.lua). This
 * layout is persisted in Redis for 400 days: only ever append to it, up to
 * COUNTER_SLOTS.
 */
export const SLOTS = [
  'entries',
  'type:decision',
  'type:incident.opened',
  'type:incident.resolved',
  'type:approval.requested',
  'type:approval.approved',
  'type:approval.rejected',
  'type:approval.expired',
  'type:approval.refused',
  'type:action.enqueued',
  'type:action.result',
  'type:breaker.tripped',
  'type:firewall.requested',
  'type:alert.received',
  'decision:NO_ACTION',
  'decision:AUTO_HEAL',
  'decision:HITL_REQUIRED',
  'decide_ms_sum',
  'decide_count',
  'heal:success',
  'heal:failure',
  'heal:unknown',
  'heal:other',
  'type:action.withdrawn',
  'type:alert.ignored',
  'type:action.refused',
] as const;

/** A record: a 64-byte NUL-padded name, then COUNTER_SLOTS big-endian signed 64-bit counters. */
export const NAME_BYTES = 64;
export const COUNTER_SLOTS = 32;
export const RECORD_BYTES = NAME_BYTES + COUNTER_SLOTS * 8;

type Slot = (typeof SLOTS)[number];
// A record has no room for more; growing it would need a new layout.
if (SLOTS.length > COUNTER_SLOTS) throw new Error(`audit rollups hold at most ${COUNTER_SLOTS} counters`);
const SLOT_INDEX = new Map<Slot, number>(SLOTS.map((name, i) => [name, i]));
const at = (name: Slot): number => SLOT_INDEX.get(name)!;
const TYPE_SLOT = Object.fromEntries(AUDIT_TYPES.map((t) => [t, at(`type:${t}`)])) as Record<AuditType, number>;
const DECISION_SLOT = Object.fromEntries(CLASSES.map((c) => [c, at(`decision:${c}`)])) as Record<DecisionClass, number>;

/** The record holding fleet-wide counters; host names can never be `*`. */
export const ALL_HOSTS_RECORD = '*';

const DECIDED: ReadonlySet<AuditType> = new Set(['approval.approved', 'approval.rejected', 'approval.expired']);
const HEAL_OUTCOMES = ['success', 'failure', 'unknown'] as const;

/** Counter increments one entry contributes, as [slot index, amount]. */
export function rollupDeltas(entry: AuditEntry): Array<[number, number]> {
  const deltas: Array<[number, number]> = [
    [at('entries'), 1],
    [at(`type:${entry.type}`), 1],
  ];
  if (entry.type === 'decision' && entry.decision) deltas.push([at(`decision:${entry.decision}`), 1]);
  if (DECIDED.has(entry.type) && entry.duration_ms !== undefined) {
    // Whole milliseconds: the packed counters are integers.
    deltas.push([at('decide_ms_sum'), Math.round(entry.duration_ms)], [at('decide_count'), 1]);
  }
  if (entry.type === 'action.result' && entry.trigger === 'auto_heal') {
    const outcome = HEAL_OUTCOMES.find((o) => o === entry.outcome) ?? 'other';
    deltas.push([at(`heal:${outcome}`), 1]);
  }
  return deltas;
}

export interface AuditCounters {
  totals: { entries: number; by_type: Record<AuditType, number> };
  decisions: Record<DecisionClass, number>;
  approvals: { requested: number; approved: number; rejected: number; expired: number; refused: number };
  /** Mean duration_ms of approved, rejected and expired approvals; null when there were none. */
  mean_time_to_decide_ms: number | null;
  /**
   * Results of auto-heal actions. `other` holds outcomes such as dry-run,
   * which say nothing about whether healing works and so stay out of the rate.
   */
  auto_heal: { success: number; failure: number; unknown: number; other: number; success_rate: number | null };
}

/** Running sums of packed counter vectors. */
export class CounterSum {
  private readonly values = new Float64Array(SLOTS.length);

  /** Adds the counters of the record at `offset`; slots a newer writer appended are ignored. */
  addRecord(view: DataView, offset: number): void {
    for (let i = 0, at = offset + NAME_BYTES; i < SLOTS.length; i++, at += 8) {
      // Exact up to 2^53, far beyond any hour's or day's counts and milliseconds.
      this.values[i]! += view.getInt32(at) * 4_294_967_296 + view.getUint32(at + 4);
    }
  }

  /** Adds one entry's increments (see rollupDeltas): the ragged ends of a window, read from the stream. */
  addDeltas(deltas: ReadonlyArray<[number, number]>): void {
    for (const [slot, amount] of deltas) this.values[slot]! += amount;
  }

  add(other: CounterSum): void {
    for (let i = 0; i < SLOTS.length; i++) this.values[i]! += other.values[i]!;
  }

  counters(): AuditCounters {
    const v = this.values;
    const byType = {} as Record<AuditType, number>;
    for (const t of AUDIT_TYPES) byType[t] = v[TYPE_SLOT[t]]!;
    const decisions = {} as Record<DecisionClass, number>;
    for (const c of CLASSES) decisions[c] = v[DECISION_SLOT[c]]!;
    const decided = v[at('decide_count')]!;
    const heal = {
      success: v[at('heal:success')]!,
      failure: v[at('heal:failure')]!,
      unknown: v[at('heal:unknown')]!,
      other: v[at('heal:other')]!,
    };
    const judged = heal.success + heal.failure + heal.unknown;
    return {
      totals: { entries: v[at('entries')]!, by_type: byType },
      decisions,
      approvals: {
        requested: byType['approval.requested'],
        approved: byType['approval.approved'],
        rejected: byType['approval.rejected'],
        expired: byType['approval.expired'],
        refused: byType['approval.refused'],
      },
      mean_time_to_decide_ms: decided > 0 ? v[at('decide_ms_sum')]! / decided : null,
      auto_heal: { ...heal, success_rate: judged > 0 ? heal.success / judged : null },
    };
  }
}
