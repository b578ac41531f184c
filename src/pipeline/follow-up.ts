import type { Redis } from 'ioredis';
import { ApprovalError } from '../approvals/service.js';
import { eventOf } from '../events/log.js';
import type { HealgateEvent } from '../events/types.js';
import { keys } from '../redis/keys.js';
import { LeasedConsumer } from '../redis/leased-consumer.js';
import { writtenMs, type Entry } from '../redis/leased-reader.js';
import { autoHeal } from './auto-heal.js';
import type { PipelineDeps } from './deps.js';
import { escalate } from './escalate.js';

export interface FollowUpOptions {
  /** This replica's name in the consumer group. */
  readonly consumer: string;
  /** Consumers (past processes) idle this long with nothing pending are removed at start. */
  readonly pruneIdleMs: number;
}

/** The follow-up's consumer group on the event stream. */
const FOLLOW_UP_GROUP = 'follow-up';
/** A dead holder's events are taken over this long after; a failed one is tried again as long after. */
const LEASE_MS = 10_000;
/** Events followed up at once: a storm's hundreds of hosts go out in a few round trips' time. */
const AT_ONCE = 16;

type DecisionRecorded = Extract<HealgateEvent, { type: 'decision.recorded' }>;

/**
 * What new incidents ask for, done from the event that opened them: the
 * auto-heal's jobs and notice, or the approval request (or the notice that
 * nothing can run). incidents-change.lua writes `decision.recorded` in the
 * same step as it opens the incidents, so an incident cannot be open with
 * nothing to act on it, whatever is killed when; each step here finds what
 * an earlier attempt did (job ids are their keys, an approval's id derives
 * from its incidents, notices are marked), so a redelivered event does
 * nothing twice. An event is acknowledged once followed up; one that fails
 * (Redis refused a write) is read again after LEASE_MS.
 */
export class FollowUp extends LeasedConsumer {
  constructor(
    redis: Redis,
    private readonly deps: PipelineDeps,
    options: FollowUpOptions,
  ) {
    super(
      redis,
      {
        stream: keys.events,
        group: FOLLOW_UP_GROUP,
        leaseKey: keys.followUpLease,
        consumer: options.consumer,
        leaseMs: LEASE_MS,
        claimIdleMs: LEASE_MS,
        pruneIdleMs: options.pruneIdleMs,
      },
      deps.logger,
    );
  }

  protected async handle(batch: readonly Entry[]): Promise<void> {
    for (let start = 0; start < batch.length; start += AT_ONCE) {
      if (!this.running || !this.reader.held) return;
      const slice = batch.slice(start, start + AT_ONCE);
      const outcomes = await Promise.allSettled(slice.map((entry) => this.followUp(entry)));
      const done: string[] = [];
      outcomes.forEach((outcome, i) => {
        const [id] = slice[i]!;
        if (outcome.status === 'fulfilled') done.push(id);
        else if (outcome.reason instanceof ApprovalError) {
          // It can never become a request (the command cannot be built): said loudly, and not tried for ever.
          this.deps.logger.error({ err: outcome.reason, event: id }, 'new incidents cannot become an approval request');
          done.push(id);
        } else
          this.deps.logger.warn(
            { err: outcome.reason, event: id, retry_in_ms: LEASE_MS },
            'following up new incidents failed; retrying',
          );
      });
      await this.reader.ack(done);
    }
  }

  private async followUp([id, fields]: Entry): Promise<void> {
    const event = eventOf(fields);
    if (event?.type === 'decision.recorded') await actOn(this.deps, event, new Date(writtenMs(id)));
  }
}

/** A decision's new incidents: healed, or asked of a human. */
async function actOn(deps: PipelineDeps, event: DecisionRecorded, at: Date): Promise<void> {
  const incidents = event.incidents.map((i) => ({ id: i.id, signal: i.signal, isNew: i.opened }));
  if (!incidents.some((i) => i.isNew)) return;
  const { decision } = event;
  if (decision.decision === 'AUTO_HEAL') await autoHeal(deps, decision, incidents, at);
  if (decision.decision === 'HITL_REQUIRED') await escalate(deps, decision, incidents);
}
