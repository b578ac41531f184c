import type { Decision } from '../core/decide/types.js';
import type { GroupKind, GroupMember, GroupView, MemberState } from './types.js';

export type GroupBy = readonly ('signal' | 'action')[];

/**
 * The kind an incident belongs to: its first fired signal (in the policy's
 * order) and the actions proposed for it, as far as `by` names them. A host
 * that breaches more than one signal joins the storm of its first; its
 * request still covers all of its actions.
 */
export function groupKind(decision: Decision, by: GroupBy): GroupKind {
  const primary = decision.signals[0]?.signal;
  const signals = primary ? [primary] : [];
  const actions = [...new Set(decision.actions.filter((a) => a.signal === primary).map((a) => a.id))].sort();
  const parts = [
    by.includes('signal') ? (primary ?? '-') : '*',
    by.includes('action') ? actions.join('+') || '-' : '*',
  ];
  return { kind: parts.join('/'), signals, actions };
}

/** A state a member cannot leave again by an older kind of news (a result never reopens a resolved host). */
const FINAL: ReadonlySet<MemberState> = new Set(['resolved', 'rejected', 'expired']);

/** The member after an event about it; later news wins, but a resolution is final. */
export function advance(member: GroupMember, state: MemberState, patch: Partial<GroupMember> = {}): GroupMember {
  if (FINAL.has(member.state) && state !== 'held') return member;
  return { ...member, ...patch, state };
}

/** One of the member's incidents resolved: a host in a storm for two conditions is resolved once both are. */
export function resolveOne(member: GroupMember, incidentId: string): GroupMember {
  const open = member.incident_ids.filter((id) => id !== incidentId && !member.resolved_ids.includes(id));
  return open.length > 0
    ? { ...member, resolved_ids: [...member.resolved_ids, incidentId] }
    : advance(member, 'resolved');
}

export interface GroupCounts {
  readonly hosts: number;
  readonly healing: number;
  readonly held: number;
  readonly approved: number;
  readonly healed: number;
  readonly failed: number;
  readonly resolved: number;
  readonly closed: number;
}

/** The latest member per host (members are in joining order): a host that flapped counts once, as it stands now. */
export function latestPerHost(group: GroupView): GroupMember[] {
  const byHost = new Map<string, GroupMember>();
  for (const m of group.members) byHost.set(m.host, m);
  return [...byHost.values()];
}

/** How many of these hosts (latestPerHost) stand where. */
export function countMembers(latest: readonly GroupMember[]): GroupCounts {
  const n = (...states: MemberState[]) => latest.filter((m) => states.includes(m.state)).length;
  return {
    hosts: latest.length,
    healing: n('healing'),
    held: n('held', 'noticed'),
    approved: n('approved'),
    healed: n('healed'),
    failed: n('failed', 'unknown'),
    resolved: n('resolved'),
    closed: n('rejected', 'expired', 'withdrawn'),
  };
}

/** The held hosts a bulk decision applies to: pending requests, narrowed by `only` and `except` host lists. */
export function bulkTargets(
  group: GroupView,
  selection: { readonly only: readonly string[]; readonly except: readonly string[] },
): { targets: GroupMember[]; leftOut: string[]; unknown: string[] } {
  // Every host that was ever held: one decided meanwhile (alone, or by expiry) is reported as such, not skipped.
  const held = latestPerHost(group).filter((m) => m.approval_id);
  const known = new Set(group.members.map((m) => m.host));
  const unknown = [...selection.only, ...selection.except].filter((h) => !known.has(h));
  const only = new Set(selection.only);
  const except = new Set(selection.except);
  const targets = held.filter((m) => (only.size === 0 || only.has(m.host)) && !except.has(m.host));
  const leftOut = held.filter((m) => !targets.includes(m)).map((m) => m.host);
  return { targets, leftOut, unknown: [...new Set(unknown)] };
}

/** Host names as people type them: separated by commas, spaces or new lines. */
export function parseHostList(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter(Boolean))];
}
