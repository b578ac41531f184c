import type { ApprovalService, Verdict } from '../approvals/service.js';
import type { Principal } from '../core/policy/approvers.js';
import type { GroupBook } from './book.js';
import { bulkTargets } from './rule.js';

export interface BulkSelection {
  /** Decide only these hosts; empty: every held host. */
  readonly only: readonly string[];
  /** Leave these hosts out. */
  readonly except: readonly string[];
}

export interface BulkResult {
  readonly verdict: Verdict;
  /** Hosts whose request this decision decided. */
  readonly decided: string[];
  readonly already: string[];
  readonly expired: string[];
  readonly refused: { host: string; message: string }[];
  readonly leftOut: string[];
  /** Named in the selection but not in the group. */
  readonly unknown: string[];
}

export type BulkOutcome =
  | { readonly ok: true; readonly result: BulkResult }
  | { readonly ok: false; readonly reason: 'not_found' | 'notes_required'; readonly message: string };

/**
 * Approve all / Reject all on a storm's group message. Each host keeps its
 * own request: the decision is taken for each one through the approval
 * service, so every rule (approvers per action, four eyes, expiry, first
 * decision wins) applies to each, and the audit names who decided each with
 * their notes.
 */
export async function decideGroup(
  groups: GroupBook,
  approvals: ApprovalService,
  id: string,
  verdict: Verdict,
  who: Principal,
  notes: string,
  selection: BulkSelection,
): Promise<BulkOutcome> {
  const group = await groups.view(id);
  if (!group) return { ok: false, reason: 'not_found', message: `There is no storm group ${id.slice(0, 40)}.` };
  if (verdict === 'reject' && notes.trim() === '')
    return { ok: false, reason: 'notes_required', message: 'A rejection needs notes: say why.' };
  const { targets, leftOut, unknown } = bulkTargets(group, selection);
  const result: BulkResult = { verdict, decided: [], already: [], expired: [], refused: [], leftOut, unknown };
  // One at a time: each decision appends to the one audit chain, and a storm's few hundred take about a second.
  for (const member of targets) {
    const answer = await approvals.answer(member.approval_id!, verdict, who, notes);
    if (answer.ok) result.decided.push(member.host);
    else if (answer.reason === 'already_decided') result.already.push(member.host);
    else if (answer.reason === 'expired') result.expired.push(member.host);
    else result.refused.push({ host: member.host, message: answer.message });
  }
  return { ok: true, result };
}
