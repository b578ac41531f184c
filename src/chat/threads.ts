import type { ApprovalRecord } from '../approvals/record.js';
import type { HealgateEvent } from '../events/types.js';
import type { HistoryPoint } from '../pipeline/host-state.js';
import type { GroupMember, GroupView } from '../groups/types.js';
import type { Notification } from './port.js';
import type { ChatServices } from './services.js';
import { approvalDoc, escalatedReply } from './view/approval.js';
import { markResolved, type MessageDoc } from './view/doc.js';
import { groupDoc } from './view/group.js';
import { sourceLines } from './view/signals.js';
import {
  agentSilentNotice,
  breakerNotice,
  digestNotice,
  incidentNotice,
  resolvedReply,
  resolvedText,
} from './view/incident.js';
import { beforeOf, keepResult, resultReply, withdrawnReply, withResult } from './view/result.js';

/** A chat platform reduced to what threads need: post (maybe in a thread) and edit. */
export interface ThreadedSurface<Ref> {
  post(doc: MessageDoc, thread?: Ref): Promise<Ref>;
  update(ref: Ref, doc: MessageDoc): Promise<void>;
}

/** What is remembered of a posted message: where it is, what it said, and the trend it drew. */
interface Shown<Ref> {
  readonly ref: Ref;
  readonly doc: MessageDoc;
  readonly history: readonly HistoryPoint[];
  /** On a storm group's message: the members whose incidents and requests already point at it. */
  readonly members?: readonly string[];
}

const incidentSubject = (id: string) => `incident:${id}`;
const approvalSubject = (id: string) => `approval:${id}`;
const groupSubject = (id: string) => `group:${id}`;
const memberSubjects = (m: GroupMember) => [
  ...m.incident_ids.map(incidentSubject),
  ...(m.approval_id ? [approvalSubject(m.approval_id)] : []),
];

/**
 * The shared life of chat messages on threaded platforms (Slack, Discord):
 * a notice per incident or approval request, results and resolutions in its
 * thread, the original edited as its state changes. Where each message is
 * lives in Redis, so whichever replica holds the notifier lease can update
 * what another one posted.
 */
export class ThreadedDelivery<Ref> {
  constructor(
    private readonly platform: string,
    private readonly surface: ThreadedSurface<Ref>,
    private readonly services: ChatServices,
  ) {}

  async deliver(n: Notification): Promise<void> {
    if (n.kind === 'digest') return this.digest(n.type, n.events);
    if (n.kind === 'group') return this.group(n.group);
    const e = n.event;
    switch (e.type) {
      case 'incident.opened': {
        // Delivered again (after a failure past the post): it is shown already.
        if (await this.recall(incidentSubject(e.incident_ids[0] ?? ''))) return;
        const history = await this.services.history(e.host);
        const shown = await this.post(await this.withAlerts(e.host, incidentNotice(e, history)), history);
        for (const id of e.incident_ids) await this.remember(incidentSubject(id), shown);
        return;
      }
      case 'incident.resolved':
        return this.resolved(e);
      case 'approval.requested':
        return this.requested(e.approval);
      case 'approval.decided':
        return this.decided(e.approval);
      case 'action.result':
        return this.result(e);
      case 'action.withdrawn':
        await this.reply(incidentSubject(e.incident_ids[0] ?? ''), withdrawnReply(e));
        return;
      case 'breaker.tripped':
        await this.post(breakerNotice(e), []);
        return;
      case 'agent.silent':
        await this.remember(incidentSubject(e.incident_id), await this.post(agentSilentNotice(e), []));
        return;
      case 'group.updated':
        // The notifier hands over the group itself; this event is for the consoles.
        return;
    }
  }

  /**
   * A storm's one message: posted once, then edited as it changes. Its first
   * member may already have been shown alone (before others joined): that
   * message becomes the group's. Every member's incidents and request then
   * point at it, so a failure lands in its thread.
   */
  private async group(view: GroupView): Promise<void> {
    const first = view.members[0];
    const shown =
      (await this.recall(groupSubject(view.id))) ??
      (first ? await this.recall(memberSubjects(first)[0] ?? '') : undefined);
    const doc = groupDoc(view, this.services.executionMode === 'dry-run');
    let ref: Ref;
    if (!shown) ref = (await this.post(doc, [])).ref;
    else {
      ref = shown.ref;
      if (JSON.stringify(shown.doc) !== JSON.stringify(doc)) await this.surface.update(ref, doc);
    }
    const known = new Set(shown?.members ?? []);
    for (const m of view.members)
      if (!known.has(m.key))
        for (const subject of memberSubjects(m)) await this.remember(subject, { ref, doc, history: [] });
    await this.remember(groupSubject(view.id), { ref, doc, history: [], members: view.members.map((m) => m.key) });
  }

  /** A notice says which of the host's values an alert holds, beside what its agent reads (see docs/alertmanager.md). */
  private async withAlerts(host: string, doc: MessageDoc): Promise<MessageDoc> {
    const sources = await this.services.sources(host);
    const lines = sources ? sourceLines(sources, ['alert']) : [];
    return lines.length > 0 ? { ...doc, lines: [...lines, ...doc.lines] } : doc;
  }

  /** The storm group (of two or more) a request or incident belongs to, if any. */
  private async storm(subject: string): Promise<GroupView | undefined> {
    const id = await this.services.groups.groupOf(subject);
    if (!id || (await this.services.groups.size(id)) < 2) return undefined;
    return this.services.groups.view(id);
  }

  private async digest(type: Parameters<typeof digestNotice>[0], events: readonly HealgateEvent[]): Promise<void> {
    const shown = await this.post(digestNotice(type, events), []);
    // Results of the digested incidents go to the digest's thread.
    for (const e of events) {
      if (e.type === 'incident.opened')
        for (const id of e.incident_ids) await this.remember(incidentSubject(id), shown);
      if (e.type === 'agent.silent') await this.remember(incidentSubject(e.incident_id), shown);
    }
  }

  private async resolved(e: Extract<HealgateEvent, { type: 'incident.resolved' }>): Promise<void> {
    const subject = incidentSubject(e.incident_id);
    const threshold = this.services.policy.signals[e.signal as keyof ChatServices['policy']['signals']]?.threshold;
    const shown = await this.recall(subject);
    await this.reply(subject, resolvedReply(e, threshold), shown);
    if (!shown) return;
    const doc = markResolved(shown.doc, resolvedText(e, threshold));
    await this.surface.update(shown.ref, doc);
    await this.remember(subject, { ...shown, doc });
  }

  /** In the thread, and the message it belongs to rewritten to its outcome. */
  private async result(e: Extract<HealgateEvent, { type: 'action.result' }>): Promise<void> {
    const subject = e.approval_id ? approvalSubject(e.approval_id) : incidentSubject(e.incident_ids[0] ?? '');
    const shown = await this.recall(subject);
    const before = e.dry_run ? beforeOf(this.services.policy, e, await this.services.history(e.host)) : undefined;
    await this.reply(subject, resultReply(e, before), shown);
    const doc = shown && withResult(shown.doc, e, before);
    if (!shown || !doc) return;
    await this.surface.update(shown.ref, doc);
    await this.remember(subject, { ...shown, doc });
  }

  private async requested(record: ApprovalRecord): Promise<void> {
    // Delivered again (after a failure past the post): it is shown already.
    if (await this.recall(approvalSubject(record.id))) return;
    // Incidents already shown (an auto-heal notice, an expired request) hear of the escalation in their thread.
    const earlier = new Map<string, Shown<Ref>>();
    for (const id of record.incident_ids) {
      const known = await this.recall(incidentSubject(id));
      if (known) earlier.set(JSON.stringify(known.ref), known);
    }
    const history = await this.services.history(record.host);
    const shown = await this.post(await this.withAlerts(record.host, approvalDoc(record, history)), history);
    await this.remember(approvalSubject(record.id), shown);
    for (const id of record.incident_ids) await this.remember(incidentSubject(id), shown);
    await this.services.approvals.setMessageRef(record.id, this.platform, shown.ref);
    for (const known of earlier.values()) await this.surface.post(escalatedReply(record), known.ref);
  }

  private async decided(record: ApprovalRecord): Promise<void> {
    const storm = await this.storm(record.id);
    if (storm) return this.group(storm);
    const subject = approvalSubject(record.id);
    const shown = await this.recall(subject);
    const doc = keepResult(
      shown?.doc,
      approvalDoc(record, shown?.history ?? (await this.services.history(record.host))),
    );
    if (!shown) {
      await this.post(doc, []);
      return;
    }
    // The adapter that took the click shows the decision at once; the notifier's event then finds it shown.
    if (JSON.stringify(shown.doc) === JSON.stringify(doc)) return;
    await this.surface.update(shown.ref, doc);
    await this.remember(subject, { ...shown, doc });
  }

  private async post(doc: MessageDoc, history: readonly HistoryPoint[]): Promise<Shown<Ref>> {
    return { ref: await this.surface.post(doc), doc, history: history.slice(-20) };
  }

  /** In the subject's thread, or on its own when the subject was never shown here. */
  private async reply(subject: string, doc: MessageDoc, known?: Shown<Ref>): Promise<void> {
    const shown = known ?? (await this.recall(subject));
    await this.surface.post(doc, shown?.ref);
  }

  private recall(subject: string): Promise<Shown<Ref> | undefined> {
    return this.services.refs.get<Shown<Ref>>(this.platform, subject);
  }

  private remember(subject: string, shown: Shown<Ref>): Promise<void> {
    return this.services.refs.set(this.platform, subject, shown);
  }
}
