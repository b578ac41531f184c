import type { AuditSummary, VerifyResult } from '../../audit/index.js';
import { formatDuration } from '../../core/policy/duration.js';
import type { Signal } from '../../core/snapshot/schema.js';
import type { Diagnosis } from '../../diagnose/types.js';
import { describeAction } from './actions.js';
import { pct, relative, type MessageDoc } from './doc.js';
import { footer, signalLabel, snapshotFields, sourceLines } from './signals.js';

/** The answer to /diagnose: every signal with its trend, the model's view and the policy's decision. */
export function diagnosisDoc(d: Diagnosis, thresholds: Record<Signal, number>): MessageDoc {
  const [pNo, pHeal, pHitl] = d.decision.probabilities;
  const top = d.decision.contributions
    .filter((c) => c.value > 0)
    .slice(0, 3)
    .map((c) => `${signalLabel(c.feature)} +${c.value.toFixed(2)}`);
  const tone = d.decision.decision === 'NO_ACTION' ? 'ok' : d.decision.decision === 'AUTO_HEAL' ? 'warning' : 'danger';
  const title = `Diagnosis of ${d.host}: ${d.decision.decision}`;
  return {
    text: `${title} (${d.fresh ? 'measured now' : `last snapshot, ${relative(-d.age_ms)}`})`,
    title,
    tone,
    fields: [
      ...snapshotFields(d.snapshot, d.history, thresholds),
      { label: 'Model', value: `${d.decision.model_class} (p=${pct(d.decision.confidence)})` },
      { label: 'Probabilities', value: `no action ${pct(pNo)} · auto-heal ${pct(pHeal)} · human ${pct(pHitl)}` },
      { label: 'Decision', value: `${d.decision.decision} (${d.decision.rule})` },
      {
        label: 'Open incidents',
        value:
          d.incidents.length === 0
            ? 'none'
            : d.incidents
                .map(
                  (i) => `${signalLabel(i.signal)} since ${i.opened_at}${i.approval_id ? ` (${i.approval_id})` : ''}`,
                )
                .join('; '),
      },
      { label: 'Measured', value: d.fresh ? `${d.measured_at} (now)` : `${d.measured_at} (${relative(-d.age_ms)})` },
    ],
    lines: [
      ...(d.note ? [d.note] : []),
      ...sourceLines(d.sources),
      ...(top.length > 0 ? [`Top contributing features: ${top.join(', ')}`] : []),
      ...d.decision.reasons,
      ...d.decision.actions.map((a) => `Would propose: ${describeAction(a)} (${a.risk})`),
    ],
    footer: footer(d.decision),
  };
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
      ([host, c]) =>
        `${host}: ${c.totals.entries} entries, ${c.approvals.requested} approvals, ${c.auto_heal.success + c.auto_heal.failure + c.auto_heal.unknown} heals`,
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
        value: `${heal.success} ok · ${heal.failure} failed · ${heal.unknown} unknown · ${heal.other} dry-run/other${heal.success_rate === null ? '' : ` · success ${pct(heal.success_rate)}`}`,
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
