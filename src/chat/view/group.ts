import { countMembers, latestPerHost } from '../../groups/rule.js';
import type { GroupMember, GroupView } from '../../groups/types.js';
import { modeLabel } from './actions.js';
import type { Field, MessageDoc } from './doc.js';
import { signalLabel, signalValue } from './signals.js';

/** Hosts named in a line before "and N more": enough to recognise, short enough for a phone. */
const NAMED = 12;
const WORST = 5;

const HELD_BY: Record<string, string> = {
  breaker_fleet: 'fleet breaker',
  breaker_host: 'host breaker',
  cooldown: 'cooldown',
  no_agent: 'no agent took it',
  risky_action: 'risky action',
  hitl_signal: 'needs a human',
  not_recovered: 'auto-heal did not help',
};

const byName = new Intl.Collator('en', { numeric: true });

/** Hosts in name order (host-2 before host-10), so that a long list is easy to scan. */
function names(members: readonly GroupMember[]): string {
  const shown = members
    .map((m) => m.host)
    .sort(byName.compare)
    .slice(0, NAMED);
  const more = members.length - shown.length;
  return more > 0 ? `${shown.join(', ')} and ${more} more` : shown.join(', ');
}

function heldReasons(held: readonly GroupMember[]): string {
  const counts = new Map<string, number>();
  for (const m of held) {
    const why = HELD_BY[m.held_by ?? ''] ?? m.held_by ?? 'needs a human';
    counts.set(why, (counts.get(why) ?? 0) + 1);
  }
  return [...counts].map(([why, n]) => `${n} ${why}`).join(', ');
}

/** The worst readings first: the highest value of each member's first signal. */
function worst(members: readonly GroupMember[]): string {
  return [...members]
    .filter((m) => m.values[0])
    .sort((a, b) => b.values[0]!.value - a.values[0]!.value)
    .slice(0, WORST)
    .map((m) => `${m.host} ${signalValue(m.values[0]!.signal, m.values[0]!.value)}`)
    .join(', ');
}

/**
 * A storm's one message: how many hosts, which heal by themselves now, which
 * wait for a human and why, the worst readings, the mode and when the held
 * requests expire; with Approve all / Reject all while any request waits.
 * Redrawn in place as hosts join, heal, are decided or resolve.
 */
export function groupDoc(group: GroupView, dryRun: boolean): MessageDoc {
  const latest = latestPerHost(group);
  const c = countMembers(latest);
  const what = group.signals.map(signalLabel).join(' + ') || group.actions.join(', ');
  const of = (...states: GroupMember['state'][]) => latest.filter((m) => states.includes(m.state));
  const healing = of('healing');
  const held = of('held', 'noticed');
  const waiting = held.filter((m) => m.approval_id);
  const expiries = waiting.map((m) => Date.parse(m.expires_at ?? '')).filter(Number.isFinite);
  const mode = dryRun ? 'DRY-RUN' : 'LIVE';
  const title = `${what} on ${c.hosts} hosts: ${c.healing} auto-healing, ${c.held} waiting for a human`;
  const done = [
    c.approved ? `${c.approved} approved, to run` : '',
    c.healed ? `${c.healed} healed` : '',
    c.failed ? `${c.failed} failed or unknown` : '',
    c.resolved ? `${c.resolved} resolved` : '',
    c.closed ? `${c.closed} rejected, expired or withdrawn` : '',
  ].filter(Boolean);
  const fields: Field[] = [
    { label: 'Hosts', value: String(c.hosts) },
    { label: 'Mode', value: modeLabel(dryRun) },
    { label: 'Auto-healing now', value: healing.length > 0 ? `${healing.length}: ${names(healing)}` : 'none' },
    {
      label: 'Waiting for a human',
      value: held.length > 0 ? `${held.length} (${heldReasons(held)}): ${names(held)}` : 'none',
    },
    { label: 'Worst', value: worst(latest) || '—' },
    // As each platform renders a moment for its reader (and the console counts down on the bot's clock).
    ...(expiries.length > 0
      ? [{ label: 'Requests expire', value: [{ at: new Date(Math.min(...expiries)).toISOString(), relative: true }] }]
      : []),
    ...(done.length > 0 ? [{ label: 'So far', value: done.join(', ') }] : []),
  ];
  return {
    text: `[${mode}] ${title}${waiting.length > 0 ? ': approve or reject them together in this message' : ''}`,
    title,
    tone: waiting.length > 0 ? 'danger' : c.failed > 0 ? 'warning' : c.healing > 0 ? 'warning' : 'ok',
    fields,
    lines: [
      `${group.actions.join(', ')} proposed for every host; each host keeps its own request and audit entry.`,
      ...(waiting.length > 0
        ? [
            `Approve all / Reject all decides the ${waiting.length} waiting requests (you can leave hosts out or decide only some); approved ones run as fleet slots free up.`,
          ]
        : []),
    ],
    footer: `${group.id} · ${group.kind} · since ${group.opened_at}`,
    ...(waiting.length > 0 ? { decide: { groupId: group.id, held: waiting.length } } : {}),
  };
}

/** The bulk decision's tally, for the person who decided: "approved 33, 2 already decided, 0 refused". */
export function bulkSummary(result: {
  readonly verdict: 'approve' | 'reject';
  readonly decided: readonly string[];
  readonly already: readonly string[];
  readonly expired: readonly string[];
  readonly refused: readonly { readonly host: string; readonly message: string }[];
  readonly leftOut: readonly string[];
  readonly unknown: readonly string[];
}): string {
  const verb = result.verdict === 'approve' ? 'approved' : 'rejected';
  const parts = [
    `${verb} ${result.decided.length}`,
    `${result.already.length} already decided`,
    `${result.refused.length} refused`,
    ...(result.expired.length > 0 ? [`${result.expired.length} expired`] : []),
    ...(result.leftOut.length > 0 ? [`${result.leftOut.length} left out`] : []),
  ];
  const refusals = result.refused.slice(0, 5).map((r) => ` ${r.host}: ${r.message}`);
  const unknown = result.unknown.length > 0 ? ` Not in this group: ${result.unknown.join(', ')}.` : '';
  return `${parts.join(', ')}.${refusals.length > 0 ? refusals.join(';') : ''}${unknown}`;
}
