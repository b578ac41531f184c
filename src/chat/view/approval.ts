import type { ApprovalRecord } from '../../approvals/record.js';
import { principalId, type Principal } from '../../core/policy/approvers.js';
import type { HistoryPoint } from '../../pipeline/host-state.js';
import { describeAction } from './actions.js';
import { relative, type Field, type MessageDoc, type Tone } from './doc.js';
import { footer, modelField, signalFields } from './signals.js';

export function displayName(p: Principal): string {
  return p.displayName ? `${p.displayName} (${principalId(p)})` : principalId(p);
}

/** "Approved by Alice (slack:U1)", "Expired": the verdict without the notes, for titles. */
function verdict(record: ApprovalRecord): string {
  const by = record.decided_by ? displayName(record.decided_by) : 'someone';
  switch (record.status) {
    case 'pending':
      return 'Approval needed';
    case 'expired':
      return 'Expired';
    case 'approved':
      return `Approved by ${by}`;
    case 'rejected':
      return `Rejected by ${by}`;
  }
}

/** "Approved by Alice (slack:U1): looks fine", "Expired — no action taken". */
export function decisionLine(record: ApprovalRecord): string {
  const notes = record.notes ? `: ${record.notes}` : '';
  switch (record.status) {
    case 'pending':
      return 'Waiting for approval';
    case 'expired':
      return 'Expired — no action taken';
    case 'approved':
      return `${verdict(record)}${notes}`;
    case 'rejected':
      return `${verdict(record)}${notes} — no action taken`;
  }
}

const TONE: Record<ApprovalRecord['status'], Tone> = {
  pending: 'danger',
  approved: 'ok',
  rejected: 'muted',
  expired: 'muted',
};

/** In an incident's thread, when the incident goes to humans later (an auto-heal that did not help). */
export function escalatedReply(record: ApprovalRecord): MessageDoc {
  const title = `Escalated to a human — ${record.actions.map((a) => a.id).join(', ')} on ${record.host}`;
  return {
    text: `${title}: ${record.reasons[0] ?? 'approval needed'}`,
    title,
    tone: 'danger',
    fields: [],
    lines: [...record.reasons.slice(0, 3), `Approve or reject in the request ${record.id}.`],
  };
}

/**
 * A HITL request in any state: pending shows the buttons; decided or
 * expired shows who decided and their notes instead. Updating a message is
 * rendering the record again.
 */
export function approvalDoc(record: ApprovalRecord, history: readonly HistoryPoint[], now: Date): MessageDoc {
  const actions = record.actions.map(describeAction);
  const pending = record.status === 'pending';
  const status = decisionLine(record);
  const title = `${verdict(record)} — ${record.actions.map((a) => a.id).join(', ')} on ${record.host}`;
  const fields: Field[] = [
    { label: 'Host', value: record.host },
    ...signalFields(record.decision, history),
    ...(record.requester ? [{ label: 'Requested by', value: displayName(record.requester) }] : []),
    ...(typeof record.request?.reason === 'string' ? [{ label: 'Reason', value: record.request.reason }] : []),
    modelField(record.decision),
    pending
      ? { label: 'Expires', value: `${record.expires_at} (${relative(Date.parse(record.expires_at) - now.getTime())})` }
      : { label: 'Decision', value: status },
  ];
  return {
    text: pending
      ? `Approval needed on ${record.host}: ${actions.join('; ')}`
      : `${status} — ${record.host}: ${actions.join('; ')}`,
    title,
    tone: TONE[record.status],
    fields,
    lines: [...actions.map((a) => `Proposed: ${a}`), ...record.reasons.slice(0, 4)],
    footer: `${record.id} · ${footer(record.decision)}`,
    ...(pending ? { decide: { approvalId: record.id } } : {}),
  };
}
