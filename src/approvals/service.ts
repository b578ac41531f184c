import { createHash } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Decision } from '../core/decide/types.js';
import { approversOf, mayApprove, principalId, type Principal } from '../core/policy/approvers.js';
import { buildCommand } from '../core/policy/command.js';
import type { Policy } from '../core/policy/policy.js';
import type { AuditLog } from '../audit/index.js';
import type { ActionQueues } from '../actions/queues.js';
import { keys } from '../redis/keys.js';
import { LuaScript } from '../redis/lua.js';
import { MAX_EVENTS } from '../events/log.js';
import type { HealgateEvent } from '../events/types.js';
import { takeApprovalSlot } from '../breakers/slots.js';
import { crashPoint } from '../crash-point.js';
import { fromHash, toHash, type ApprovalAction, type ApprovalRecord } from './record.js';

const APPROVAL_ID = /^apr-[0-9a-f]{16}$/;

/** How much of a decision's notes is kept; chat forms cap their input at this. */
export const NOTES_MAX = 3000;

/** A human's answer to an approval request, as chat buttons name it. */
export type Verdict = 'approve' | 'reject';
export interface ApprovalRequest {
  /**
   * What this request is for (a firewall request id, the incidents it
   * covers). The approval id derives from it, so a retried evaluation finds
   * the approval it already created instead of asking twice.
   */
  readonly key: string;
  readonly host: string;
  readonly decision: Decision;
  readonly actions: readonly { readonly id: string; readonly params: Readonly<Record<string, unknown>> }[];
  readonly incident_ids: readonly string[];
  readonly requester?: Principal;
  readonly request?: Readonly<Record<string, unknown>>;
}

export type Refusal = 'not_found' | 'not_approver' | 'four_eyes' | 'expired' | 'already_decided' | 'notes_required';

export type DecideResult =
  | { readonly ok: true; readonly approval: ApprovalRecord }
  | { readonly ok: false; readonly reason: Refusal; readonly message: string; readonly approval?: ApprovalRecord };

export interface ApprovalDeps {
  readonly redis: Redis;
  readonly policy: Policy;
  /** APPROVERS from the environment. */
  readonly extraApprovers: readonly string[];
  readonly audit: AuditLog;
  readonly actions: ActionQueues;
  readonly expiry: Queue;
  readonly now: () => Date;
}

export class ApprovalError extends Error {
  override readonly name = 'ApprovalError';
}

/**
 * The human-in-the-loop lifecycle: request → approved | rejected | expired.
 * The transition is one Lua script, so whatever arrives first wins and the
 * action runs at most once; chat adapters call approve/reject with who
 * clicked and their notes.
 */
export class ApprovalService {
  constructor(private readonly deps: ApprovalDeps) {}

  async get(id: string): Promise<ApprovalRecord | undefined> {
    return (await this.getMany([id]))[0];
  }

  /** Several records in one round trip, in the order asked; undefined for an id that names none. */
  async getMany(ids: readonly string[]): Promise<(ApprovalRecord | undefined)[]> {
    const valid = ids.filter((id) => APPROVAL_ID.test(id));
    if (valid.length === 0) return ids.map(() => undefined);
    const pipeline = this.deps.redis.pipeline();
    for (const id of valid) pipeline.hgetall(keys.approval(id));
    const replies = (await pipeline.exec()) ?? [];
    const failed = replies.find(([err]) => err);
    if (failed?.[0]) throw failed[0];
    const found = new Map(valid.map((id, i) => [id, fromHash((replies[i]?.[1] ?? {}) as Record<string, string>)]));
    return ids.map((id) => found.get(id));
  }

  async request(input: ApprovalRequest): Promise<ApprovalRecord> {
    const { policy, redis, now } = this.deps;
    const actions: ApprovalAction[] = input.actions.map((a) => {
      const command = buildCommand(policy, a.id, a.params);
      if (!command.ok) throw new ApprovalError(command.error);
      return { id: a.id, risk: policy.actions[a.id]?.risk ?? 'risky', params: command.value.params };
    });
    const id = `apr-${createHash('sha256').update(input.key).digest('hex').slice(0, 16)}`;
    const created = now();
    const record: ApprovalRecord = {
      id,
      host: input.host,
      status: 'pending',
      actions,
      reasons: input.decision.reasons,
      decision: input.decision,
      incident_ids: input.incident_ids,
      requester: input.requester ?? null,
      request: input.request ?? null,
      created_at: created.toISOString(),
      expires_at: new Date(created.getTime() + policy.approval.timeout).toISOString(),
      decided_by: null,
      notes: '',
      decided_at: null,
      messages: {},
    };
    const event: HealgateEvent = { type: 'approval.requested', approval: record };
    const script = await LuaScript.load('approval-create');
    const made = (await script.run(
      redis,
      [keys.approval(id), keys.approvalsPending, keys.events],
      [id, Date.parse(record.expires_at), JSON.stringify(event), MAX_EVENTS, ...Object.entries(toHash(record)).flat()],
    )) as number;
    if (made === 1) crashPoint('approval.created');
    const current = made === 1 ? record : ((await this.get(id)) ?? record);
    // Asked again after a crash cut the first ask short, its expiry job is added again (the same job id
    // adds nothing twice). The pending index's sweep expires the request on time even without it.
    await this.scheduleExpiry(current);
    return current;
  }

  /** A request's delayed expiry job: at its moment, on whichever replica is free. */
  private async scheduleExpiry(record: ApprovalRecord): Promise<void> {
    if (record.status !== 'pending') return;
    await this.deps.expiry.add(
      'expire',
      { id: record.id },
      {
        jobId: `expire-${record.id}`,
        delay: Math.max(0, Date.parse(record.expires_at) - this.deps.now().getTime()),
        removeOnComplete: true,
      },
    );
  }

  /**
   * Expires what is past its deadline in the pending index. Every replica
   * sweeps every second, so a request expires on time even when its delayed
   * expiry job was lost (Redis lost its last second of writes, a job store
   * was flushed); the transition is once-only whoever gets there first.
   */
  async expireDue(): Promise<number> {
    const due = await this.deps.redis.zrangebyscore(
      keys.approvalsPending,
      '-inf',
      this.deps.now().getTime(),
      'LIMIT',
      0,
      100,
    );
    let expired = 0;
    for (const id of due) {
      const result = await this.expire(id);
      if (result.ok) expired++;
      // An index entry whose record is gone has nothing to expire: it would only come back every second.
      else if (result.reason === 'not_found') await this.deps.redis.zrem(keys.approvalsPending, id);
    }
    return expired;
  }

  approve(id: string, who: Principal, notes = ''): Promise<DecideResult> {
    return this.decide(id, 'approved', who, notes);
  }

  /** What a chat button or form asks for, by its verb. */
  answer(id: string, verdict: Verdict, who: Principal, notes: string): Promise<DecideResult> {
    return this.decide(id, verdict === 'approve' ? 'approved' : 'rejected', who, notes);
  }

  reject(id: string, who: Principal, notes: string): Promise<DecideResult> {
    return this.decide(id, 'rejected', who, notes);
  }

  /** Called by the expiry job; a no-op if a human decided first. */
  async expire(id: string): Promise<DecideResult> {
    const record = await this.get(id);
    if (!record) return { ok: false, reason: 'not_found', message: `no approval ${id}` };
    return this.transition(record, 'expired', null, '');
  }

  /**
   * Whether `who` may decide this request at all, by the rules a decision
   * is checked against (approver of every action, not its requester), and
   * who may: asked at the click, before any form is shown. The decision
   * itself is checked again.
   */
  mayDecide(
    record: ApprovalRecord,
    who: Principal,
  ): { ok: true } | { ok: false; reason: Refusal; message: string; approvers: string[] } {
    const refusal = this.refusal(record, 'approved', who, '');
    if (!refusal) return { ok: true };
    const approvers = record.actions.flatMap((a) => approversOf(this.deps.policy, a.id, this.deps.extraApprovers));
    return { ...refusal, approvers: [...new Set(approvers)].filter((id) => id !== principalId(who)) };
  }

  /** Records where a chat adapter shows this request. */
  async setMessageRef(id: string, platform: string, ref: unknown): Promise<void> {
    const record = await this.get(id);
    if (!record) return;
    await this.deps.redis.hset(keys.approval(id), 'messages', JSON.stringify({ ...record.messages, [platform]: ref }));
  }

  private async decide(
    id: string,
    wanted: 'approved' | 'rejected',
    who: Principal,
    rawNotes: string,
  ): Promise<DecideResult> {
    const notes = rawNotes.trim().slice(0, NOTES_MAX);
    const record = await this.get(id);
    if (!record) return { ok: false, reason: 'not_found', message: `There is no approval request ${id}.` };
    if (record.status !== 'pending') return this.alreadyDecided(record);
    const refusal = this.refusal(record, wanted, who, notes);
    if (refusal) {
      await this.deps.audit.append(
        {
          type: 'approval.refused',
          host: record.host,
          approval_id: id,
          actor: principalId(who),
          platform: who.platform,
          outcome: refusal.reason,
          ...(notes ? { notes } : {}),
        },
        this.deps.now(),
      );
      return { ...refusal, approval: record };
    }
    return this.transition(record, wanted, who, notes);
  }

  private refusal(
    record: ApprovalRecord,
    wanted: string,
    who: Principal,
    notes: string,
  ): { ok: false; reason: Refusal; message: string } | undefined {
    if (wanted === 'rejected' && notes === '')
      return { ok: false, reason: 'notes_required', message: 'A rejection needs notes: say why.' };
    if (record.requester && principalId(record.requester) === principalId(who)) {
      return {
        ok: false,
        reason: 'four_eyes',
        message: 'You requested this change; someone else has to approve or reject it.',
      };
    }
    const denied = record.actions.filter((a) => !mayApprove(this.deps.policy, a.id, who, this.deps.extraApprovers));
    if (denied.length > 0) {
      return {
        ok: false,
        reason: 'not_approver',
        message: `${principalId(who)} is not an approver for ${denied.map((a) => a.id).join(', ')}.`,
      };
    }
    return undefined;
  }

  /**
   * Enqueues the action jobs of approved requests still waiting: those whose
   * enqueue a crash interrupted, and approved safe actions waiting for a
   * fleet slot (see `run`). Every replica calls it at start-up and then
   * every second, so waves go out as slots free up; returns how many ran.
   */
  async releaseWaiting(): Promise<number> {
    const ids = await this.deps.redis.smembers(keys.approvalsToEnqueue);
    const records = await this.getMany(ids);
    let ran = 0;
    for (const record of records) {
      if (record?.status === 'approved' && (await this.run(record, this.deps.now()))) ran++;
    }
    const gone = ids.filter((_, i) => records[i]?.status !== 'approved');
    if (gone.length > 0) await this.deps.redis.srem(keys.approvalsToEnqueue, ...gone);
    return ran;
  }

  /**
   * An approved request's job: at once when any of its actions is risky (a
   * person approved that very change); else when a fleet slot is free, as
   * the breaker allows auto-heals, so that approving a storm's held hosts
   * at once releases them in waves. False while it waits for a slot.
   */
  private async run(record: ApprovalRecord, at: Date): Promise<boolean> {
    const safe = record.actions.every((a) => a.risk === 'safe');
    if (safe && (await takeApprovalSlot(this.deps.redis, this.deps.policy, record, at.getTime())) === 'wait')
      return false;
    await this.deps.actions.enqueue({
      key: record.id,
      host: record.host,
      trigger: 'approval',
      approval_id: record.id,
      incident_ids: record.incident_ids,
      actions: record.actions.map((a) => ({ id: a.id, params: a.params })),
      enqueued_at: at.toISOString(),
    });
    await this.deps.redis.srem(keys.approvalsToEnqueue, record.id);
    return true;
  }

  private alreadyDecided(record: ApprovalRecord): DecideResult {
    if (record.status === 'expired')
      return { ok: false, reason: 'expired', message: 'This request expired; nothing was run.', approval: record };
    const by = record.decided_by ? ` by ${record.decided_by.displayName ?? principalId(record.decided_by)}` : '';
    return { ok: false, reason: 'already_decided', message: `Already ${record.status}${by}.`, approval: record };
  }

  private async transition(
    record: ApprovalRecord,
    wanted: 'approved' | 'rejected' | 'expired',
    who: Principal | null,
    notes: string,
  ): Promise<DecideResult> {
    const at = this.deps.now();
    const as = (status: typeof wanted, by: Principal | null, n: string): string =>
      JSON.stringify({
        type: 'approval.decided',
        approval: { ...record, status, decided_by: by, notes: n, decided_at: at.toISOString() },
      } satisfies HealgateEvent);
    const script = await LuaScript.load('approval-decide');
    const reply = (await script.run(
      this.deps.redis,
      [keys.approval(record.id), keys.approvalsPending, keys.approvalsToEnqueue, keys.events],
      [
        wanted,
        who ? JSON.stringify(who) : '',
        notes,
        at.getTime(),
        at.toISOString(),
        as(wanted, who, notes),
        as('expired', null, ''),
        MAX_EVENTS,
      ],
    )) as [number, string, string, string, string];
    const decided = await this.get(record.id);
    if (!decided) return { ok: false, reason: 'not_found', message: `There is no approval request ${record.id}.` };
    if (reply[0] !== 1) return this.alreadyDecided(decided);
    crashPoint('approval.decided');
    // Its `approval.decided` event, written with the decision, comes before the job's result in the
    // event stream, so the audit chain shows the approval before anything the job did.
    if (decided.status === 'approved') await this.run(decided, at);
    if (decided.status === 'expired' && wanted !== 'expired') {
      return {
        ok: false,
        reason: 'expired',
        message: 'This request expired before your decision; nothing was run.',
        approval: decided,
      };
    }
    return { ok: true, approval: decided };
  }
}
