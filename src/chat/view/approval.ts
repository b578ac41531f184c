import type { ApprovalRecord } from '../../approvals/record.js';
import type { HistoryPoint } from '../../pipeline/host-state.js';
import type { Principal } from '../../core/policy/approvers.js';
import { describeAction } from './actions.js';
import { inlines, who, type Field, type Inline, type MessageDoc, type Rich, type Tone } from './doc.js';
import { RUNNING } from './result.js';
import { footer, modelField, signalFields } from './signals.js';

const VERB: Record<Exclude<ApprovalRecord['status'], 'pending'>, string> = {
  approved: 'Approved',
  rejected: 'Rejected',
  expired: 'Expired',
};

/** "Approved by @alice at 14:02: looks fine", "Expired at 14:30 — no action taken". */
export function decisionLine(record: ApprovalRecord): Rich {
  if (record.status === 'pending') return 'Waiting for approval';
  if (record.status === 'expired') return ['Expired at ', { at: record.expires_at }, ' — no action taken'];
  const by: Inline[] = record.decided_by ? [' by ', who(record.decided_by)] : [];
  const at: Inline[] = record.decided_at ? [' at ', { at: record.decided_at }] : [];
  const notes = record.notes ? `: ${record.notes}` : '';
  return [VERB[record.status], ...by, ...at, `${notes}${record.status === 'rejected' ? ' — no action taken' : ''}`];
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

/** What a decided request's message says ran, or will not. */
function actionLines(record: ApprovalRecord, actions: readonly string[]): string[] {
  if (record.status === 'pending') return [...actions.map((a) => `Proposed: ${a}`), ...record.reasons.slice(0, 4)];
  return actions.map((a) => `${record.status === 'approved' ? 'Approved' : 'Not run'}: ${a}`);
}

/**
 * A HITL request in any state: pending shows the buttons, the expiry and
 * why it needs a human; decided or expired shows who decided, when, their
 * notes and (once approved) the action's result instead, with the
 * reasons for asking gone. Updating a message is rendering the record again.
 */
export function approvalDoc(record: ApprovalRecord, history: readonly HistoryPoint[]): MessageDoc {
  const actions = record.actions.map(describeAction);
  const pending = record.status === 'pending';
  const status = decisionLine(record);
  const ids = record.actions.map((a) => a.id).join(', ');
  const title = `${pending ? 'Approval needed' : VERB[record.status]} — ${ids} on ${record.host}`;
  const fields: Field[] = [
    { label: 'Host', value: record.host },
    ...signalFields(record.decision, history),
    ...(record.requester ? [{ label: 'Requested by', value: [who(record.requester)] }] : []),
    ...(typeof record.request?.reason === 'string' ? [{ label: 'Reason', value: record.request.reason }] : []),
    modelField(record.decision),
    pending
      ? { label: 'Expires', value: [{ at: record.expires_at, relative: true }] }
      : { label: 'Decision', value: status },
    ...(record.status === 'approved' ? [{ label: 'Result', value: RUNNING }] : []),
  ];
  return {
    text: pending
      ? `Approval needed on ${record.host}: ${actions.join('; ')}`
      : [...inlines(status), ` — ${record.host}: ${actions.join('; ')}`],
    title,
    tone: TONE[record.status],
    fields,
    lines: actionLines(record, actions),
    footer: `${record.id} · ${footer(record.decision)}`,
    ...(pending ? { decide: { approvalId: record.id } } : {}),
  };
}

const PLATFORMS = new Set(['slack', 'discord', 'console', 'api']);

/** An approvers entry as shown: a person as a mention, a Discord role by its id. */
function approverMark(entry: string): Inline {
  const role = /^discord-role:(.+)$/.exec(entry);
  if (role) return `Discord role ${role[1]!}`;
  const [platform = '', ...rest] = entry.split(':');
  return PLATFORMS.has(platform) && rest.length > 0
    ? who({ platform: platform as Principal['platform'], userId: rest.join(':') })
    : entry;
}

/** Told at the click to someone who may not decide: why not, and who may. */
export function refusalText(refusal: { readonly message: string; readonly approvers: readonly string[] }): Rich {
  if (refusal.approvers.length === 0)
    return `${refusal.message} Nobody else may approve it: the policy's approvers (and APPROVERS) name no one for it.`;
  const people = refusal.approvers.flatMap((entry, i) =>
    i === 0 ? [approverMark(entry)] : [', ', approverMark(entry)],
  );
  return [`${refusal.message} Who may decide it: `, ...people, '.'];
}
