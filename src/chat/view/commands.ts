import type { AuditSummary, VerifyResult } from '../../audit/index.js';
import { formatDuration } from '../../core/policy/duration.js';
import type { Signal } from '../../core/snapshot/schema.js';
import type { Diagnosis } from '../../diagnose/types.js';
import { describeAction } from './actions.js';
import { num, pct, relative, type Inline, type MessageDoc } from './doc.js';
import { footer, signalLabel, signalValue, snapshotFields, sourceLines } from './signals.js';

/**
 * The answer to /diagnose: every signal with its trend, the model's view and
 * the policy's decision on this reading, kept apart from the open incidents,
 * which earlier snapshots opened (a host back to normal still shows them
 * until the pipeline's next snapshot resolves them).
 */
export function diagnosisDoc(d: Diagnosis, thresholds: Record<Signal, number>): MessageDoc {
  const [pNo, pHeal, pHitl] = d.decision.probabilities;
  const top = d.decision.contributions
    .filter((c) => c.value > 0)
    .slice(0, 3)
    .map((c) => `${signalLabel(c.feature)} +${c.value.toFixed(2)}`);
  const tone = d.decision.decision === 'NO_ACTION' ? 'ok' : d.decision.decision === 'AUTO_HEAL' ? 'warning' : 'danger';
  const title = `Diagnosis of ${d.host}: ${d.decision.decision}`;
  const source = d.fresh ? 'the fresh measurement' : `the last snapshot (${relative(-d.age_ms)})`;
  const opened: Inline[] = d.incidents.flatMap((i, n): Inline[] => [
    ...(n === 0 ? [] : ['; ']),
    `${signalLabel(i.signal)} ${signalValue(i.signal, i.value)} (> ${num(i.threshold)}) at `,
    { at: i.opened_at },
    ...(i.approval_id ? [` (${i.approval_id})`] : []),
  ]);
  return {
    text: `${title} (on ${source})`,
    title,
    tone,
    fields: [
      ...snapshotFields(d.snapshot, d.history, thresholds),
      { label: 'Model', value: `${d.decision.model_class} (p=${pct(d.decision.confidence)})` },
      { label: 'Probabilities', value: `no action ${pct(pNo)} · auto-heal ${pct(pHeal)} · human ${pct(pHitl)}` },
      { label: 'Decision', value: `${d.decision.decision} (${d.decision.rule}), on ${source}` },
      { label: d.fresh ? 'Measured now' : 'Last snapshot', value: [{ at: d.measured_at, relative: true }] },
      {
        label: 'Open incidents',
        value: d.incidents.length === 0 ? 'none' : ['opened by earlier snapshots: ', ...opened],
      },
    ],
    lines: [
      ...(d.note ? [d.note] : []),
      ...sourceLines(d.sources),
      ...(d.incidents.length > 0 && d.decision.decision === 'NO_ACTION'
        ? [
            `This reading is healthy; the open incident${d.incidents.length === 1 ? '' : 's'} came from the snapshot that opened ${d.incidents.length === 1 ? 'it' : 'them'} and resolve${d.incidents.length === 1 ? 's' : ''} with the next snapshot the pipeline takes.`,
          ]
        : []),
      ...(top.length > 0 ? [`Top contributing features: ${top.join(', ')}`] : []),
      ...d.decision.reasons,
      ...d.decision.actions.map((a) => `Would propose: ${describeAction(a)} (${a.risk})`),
    ],
    footer: footer(d.decision),
  };
}

/**
 * "3 heals (1 dry-run)". An auto-heal's outcome is success, failure,
 * unknown or dry-run: the rollups' `other` is the dry-runs.
 */
function heals(h: AuditSummary['auto_heal']): string {
  const total = h.success + h.failure + h.unknown + h.other;
  return `${total} heal${total === 1 ? '' : 's'}${h.other > 0 ? ` (${h.other} dry-run)` : ''}`;
}

/** The answer to /audit: counts from the rollups for the window (and host). */
export function auditDoc(window: string, s: AuditSummary): MessageDoc {
  const scope = s.host ? ` for ${s.host}` : '';
  const title = `Audit, last ${window}${scope}`;
  const heal = s.auto_heal;
  const hosts = Object.entries(s.per_host)
    .sort(([, a], [, b]) => b.totals.entries - a.totals.entries)
    .slice(0, 10)
    .map(
      ([host, c]) => `${host}: ${c.totals.entries} entries, ${c.approvals.requested} approvals, ${heals(c.auto_heal)}`,
    );
  return {
    text: `${title}: ${s.totals.entries} entries`,
    title,
    tone: 'info',
    fields: [
      { label: 'Entries', value: String(s.totals.entries) },
      {
        label: 'Decisions',
        value: `no action ${s.decisions.NO_ACTION} · auto-heal ${s.decisions.AUTO_HEAL} · human ${s.decisions.HITL_REQUIRED}`,
      },
      {
        label: 'Approvals',
        value: `${s.approvals.requested} requested · ${s.approvals.approved} approved · ${s.approvals.rejected} rejected · ${s.approvals.expired} expired · ${s.approvals.refused} refused`,
      },
      {
        label: 'Mean time to decide',
        value: s.mean_time_to_decide_ms === null ? '—' : formatDuration(s.mean_time_to_decide_ms),
      },
      {
        label: 'Auto-heal',
        value: `${heal.success} ok · ${heal.failure} failed · ${heal.unknown} unknown · ${heal.other} dry-run${heal.success_rate === null ? '' : ` · success ${pct(heal.success_rate)}`}`,
      },
    ],
    lines: [
      ...(hosts.length > 0 ? ['Per host:', ...hosts] : []),
      ...(s.totals.by_type['alert.ignored'] > 0
        ? [`Alertmanager alerts ignored: ${s.totals.by_type['alert.ignored']} (entries of type alert.ignored say why)`]
        : []),
      `Per day: ${s.per_day.map((d) => `${d.day} ${d.totals.entries}`).join(', ')}`,
    ],
    footer: `rollup window ${s.window.since} – ${s.window.until}`,
  };
}

export function verifyDoc(r: VerifyResult): MessageDoc {
  if (r.ok) {
    const title = `Audit chain intact: ${r.entries} entries verified`;
    return { text: title, title, tone: 'ok', fields: [], lines: [r.head ? `Head ${r.head}` : 'The log is empty.'] };
  }
  const title = `Audit chain broken: entry ${r.id ?? '(none left)'} ${r.problem}`;
  return {
    text: title,
    title,
    tone: 'danger',
    fields: [{ label: 'Checked', value: String(r.entries_checked) }],
    lines: [r.detail],
  };
}
