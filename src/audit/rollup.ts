import { CLASSES, type DecisionClass } from '../core/classes.js';
import { AUDIT_TYPES, type AuditEntry, type AuditType } from './schema.js';

/**
 * Order of the counters packed into one rollup field, as little-endian
 * doubles (exact for integers up to 2^53). This layout is persisted in Redis
 * for 400 days: only ever append to it.
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
] as const;

type Slot = (typeof SLOTS)[number];
const SLOT_INDEX = new Map<Slot, number>(SLOTS.map((name, i) => [name, i]));
const at = (name: Slot): number => SLOT_INDEX.get(name)!;

/** The hash field holding fleet-wide counters; host names can never be `*`. */
export const ALL_HOSTS_FIELD = '*';

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

  /** Adds `count` packed doubles at `offset`; slots a newer writer appended are ignored. */
  addPacked(buffer: Buffer, offset: number, count: number): void {
    const n = Math.min(count, SLOTS.length);
    for (let i = 0; i < n; i++) this.values[i]! += buffer.readDoubleLE(offset + i * 8);
  }

  add(other: CounterSum): void {
    for (let i = 0; i < SLOTS.length; i++) this.values[i]! += other.values[i]!;
  }

  counters(): AuditCounters {
    const v = (name: Slot) => this.values[at(name)]!;
    const byType = Object.fromEntries(AUDIT_TYPES.map((t) => [t, v(`type:${t}`)])) as Record<AuditType, number>;
    const decisions = Object.fromEntries(CLASSES.map((c) => [c, v(`decision:${c}`)])) as Record<DecisionClass, number>;
    const decided = v('decide_count');
    const heal = {
      success: v('heal:success'),
      failure: v('heal:failure'),
      unknown: v('heal:unknown'),
      other: v('heal:other'),
    };
    const judged = heal.success + heal.failure + heal.unknown;
    return {
      totals: { entries: v('entries'), by_type: byType },
      decisions,
      approvals: {
        requested: byType['approval.requested'],
        approved: byType['approval.approved'],
        rejected: byType['approval.rejected'],
        expired: byType['approval.expired'],
        refused: byType['approval.refused'],
      },
      mean_time_to_decide_ms: decided > 0 ? v('decide_ms_sum') / decided : null,
      auto_heal: { ...heal, success_rate: judged > 0 ? heal.success / judged : null },
    };
  }
}
