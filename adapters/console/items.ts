import type { ApprovalRecord } from '../../src/approvals/record.js';
import { eventHost, type ChatEvent, type HealgateEvent } from '../../src/events/types.js';
import type { HistoryPoint } from '../../src/pipeline/host-state.js';
import { approvalDoc } from '../../src/chat/view/approval.js';
import type { Field, Mark, MessageDoc, Rich, Tone } from '../../src/chat/view/doc.js';
import type { PeopleNames } from '../../src/chat/names.js';
import { groupDoc } from '../../src/chat/view/group.js';
import { latestPerHost } from '../../src/groups/rule.js';
import type { GroupView } from '../../src/groups/types.js';
import { agentSilentNotice, breakerNotice, incidentNotice, resolvedReply } from '../../src/chat/view/incident.js';
import { beforeOf, outcomeOf, resultReply, withdrawnReply } from '../../src/chat/view/result.js';
import type { Policy } from '../../src/core/policy/policy.js';
import { writtenMs } from '../../src/redis/leased-reader.js';

/**
 * What the page needs beyond the document to draw a live approval card:
 * the deadline for its countdown and the model's probabilities as a bar.
 */
export interface ApprovalView {
  readonly id: string;
  readonly status: ApprovalRecord['status'];
  readonly expires_at: string;
  readonly probabilities: readonly number[];
}

/**
 * One entry of the console's feed: a MessageDoc (the same facts every chat
 * shows) and where it goes. `card` names the card it belongs to; `post`
 * starts a card, `update` redraws it (creating it when the page never saw
 * it), `reply` adds to its thread, `resolve` adds a reply and marks it resolved.
 */
export interface FeedItem {
  /** The events stream id: the SSE id, so a reconnect resumes after it. */
  readonly id: string;
  readonly at: string;
  readonly type: HealgateEvent['type'];
  readonly host: string;
  readonly card: string;
  /** Other names of the card (an approval's incidents), for their results and resolutions. */
  readonly aliases: readonly string[];
  readonly mode: 'post' | 'update' | 'reply' | 'resolve';
  readonly doc: MessageDoc;
  readonly approval?: ApprovalView;
  /** A storm group's card: its hosts as they stand, for the member list. */
  readonly group?: GroupCard;
  /** On a result: the Result field and tone for the card it belongs to (as chat edits its message). */
  readonly outcome?: { readonly field: Field; readonly tone: Tone };
}

export interface GroupCard {
  readonly id: string;
  /** Requests still waiting: while there are any, the card stays on top with Approve all / Reject all. */
  readonly held: number;
  readonly signal: string | null;
  readonly members: readonly { host: string; state: string; held_by: string | null; value: number | null }[];
  /** The last bulk decision's tally, on the card of the person who made it. */
  readonly tally?: string;
}

const byName = new Intl.Collator('en', { numeric: true });

/** A storm group as a card, redrawn in place as the group changes. */
export function groupItem(id: string, group: GroupView, now: Date, dryRun: boolean, tally?: string): FeedItem {
  const doc = groupDoc(group, dryRun);
  const members = latestPerHost(group).sort((a, b) => byName.compare(a.host, b.host));
  return {
    id,
    at: id ? streamTime(id) : now.toISOString(),
    type: 'group.updated',
    host: '',
    card: `group:${group.id}`,
    aliases: [],
    mode: 'update',
    doc,
    group: {
      id: group.id,
      held: doc.decide && 'groupId' in doc.decide ? doc.decide.held : 0,
      signal: group.signals[0] ?? null,
      members: members.map((m) => ({
        host: m.host,
        state: m.state,
        held_by: m.held_by,
        value: m.values[0]?.value ?? null,
      })),
      ...(tally ? { tally } : {}),
    },
  };
}

/** The stream id's milliseconds as a time. */
function streamTime(id: string): string {
  return new Date(writtenMs(id)).toISOString();
}

/** -1, 0, 1 as `a` is before, equal to, after `b` (ids are `ms-seq`). */
export function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return Math.sign(am - bm || as - bs);
}

function approvalView(record: ApprovalRecord): ApprovalView {
  return {
    id: record.id,
    status: record.status,
    expires_at: record.expires_at,
    probabilities: record.decision.probabilities ?? [],
  };
}

export function approvalItem(
  id: string,
  record: ApprovalRecord,
  mode: 'post' | 'update',
  history: readonly HistoryPoint[],
  now: Date,
): FeedItem {
  return {
    id,
    at: id ? streamTime(id) : now.toISOString(),
    type: mode === 'post' ? 'approval.requested' : 'approval.decided',
    host: record.host,
    card: `approval:${record.id}`,
    aliases: record.incident_ids.map((i) => `incident:${i}`),
    mode,
    doc: approvalDoc(record, history),
    approval: approvalView(record),
  };
}

/** An event as a feed item; `history` is the host's, for the trends the documents draw. */
export function feedItem(
  id: string,
  e: Exclude<ChatEvent, { type: 'group.updated' }>,
  history: readonly HistoryPoint[],
  policy: Policy,
  now: Date,
): FeedItem {
  const base = { id, at: streamTime(id), type: e.type, host: eventHost(e), aliases: [] as string[] };
  switch (e.type) {
    case 'incident.opened':
      return {
        ...base,
        card: `incident:${e.incident_ids[0] ?? id}`,
        aliases: e.incident_ids.slice(1).map((i) => `incident:${i}`),
        mode: 'post',
        doc: incidentNotice(e, history),
      };
    case 'incident.resolved': {
      const threshold = policy.signals[e.signal as keyof Policy['signals']]?.threshold;
      return { ...base, card: `incident:${e.incident_id}`, mode: 'resolve', doc: resolvedReply(e, threshold) };
    }
    case 'approval.requested':
      return approvalItem(id, e.approval, 'post', history, now);
    case 'approval.decided':
      return approvalItem(id, e.approval, 'update', history, now);
    case 'action.result': {
      const before = e.dry_run ? beforeOf(policy, e, history) : undefined;
      return {
        ...base,
        card: e.approval_id ? `approval:${e.approval_id}` : `incident:${e.incident_ids[0] ?? id}`,
        mode: 'reply',
        doc: resultReply(e, before),
        outcome: outcomeOf(e, before),
      };
    }
    case 'action.withdrawn':
      return { ...base, card: `incident:${e.incident_ids[0] ?? id}`, mode: 'reply', doc: withdrawnReply(e) };
    case 'breaker.tripped':
      return { ...base, card: `breaker:${id}`, mode: 'post', doc: breakerNotice(e) };
    case 'agent.silent':
      return { ...base, card: `incident:${e.incident_id}`, mode: 'post', doc: agentSilentNotice(e) };
  }
}

type Who = Extract<Mark, { who: unknown }>['who'];

/** Every person in a doc's fields and lines. */
function peopleIn(doc: MessageDoc): Who[] {
  return [...doc.fields.map((f) => f.value), ...doc.lines].flatMap((r) =>
    typeof r === 'string' ? [] : r.flatMap((part) => (typeof part !== 'string' && 'who' in part ? [part.who] : [])),
  );
}

function nameRich(value: Rich, names: ReadonlyMap<string, string>): Rich {
  if (typeof value === 'string') return value;
  return value.map((part) => {
    if (typeof part === 'string' || !('who' in part) || part.who.displayName) return part;
    const name = names.get(`${part.who.platform}:${part.who.userId}`);
    return name ? { who: { ...part.who, displayName: name } } : part;
  });
}

/** Items whose people carry no name (a firewall requester's id) with the names they acted under, where known. */
export async function named(items: readonly FeedItem[], names: PeopleNames): Promise<FeedItem[]> {
  const unnamed = items.flatMap((i) => peopleIn(i.doc)).filter((p) => !p.displayName);
  if (unnamed.length === 0) return [...items];
  const known = await names.resolve(unnamed.map((p) => `${p.platform}:${p.userId}`));
  if (known.size === 0) return [...items];
  return items.map((item) => ({
    ...item,
    doc: {
      ...item.doc,
      fields: item.doc.fields.map((f) => ({ ...f, value: nameRich(f.value, known) })),
      lines: item.doc.lines.map((l) => nameRich(l, known)),
    },
  }));
}
