import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import { z } from 'zod';
import { RUN_TTL_S } from '../actions/queues.js';
import { holdAutoHeal } from '../core/decide/decide.js';
import type { Decision } from '../core/decide/types.js';
import { formatDuration } from '../core/policy/duration.js';
import { MAX_EVENTS } from '../events/log.js';
import type { HealgateEvent } from '../events/types.js';
import { autoHealingMember, keys, queues } from '../redis/keys.js';
import { LuaScript } from '../redis/lua.js';
import type { PipelineDeps } from './deps.js';
import { linkApproval } from './incidents.js';

/** An auto-heal job that an agent must take before `due`. */
export interface PickupDeadline {
  readonly host: string;
  /** The action job's id (its idempotency key). */
  readonly key: string;
  readonly incident_ids: readonly string[];
  readonly actions: readonly { readonly id: string; readonly params: Readonly<Record<string, unknown>> }[];
  /** The AUTO_HEAL decision it carries out, for the request a withdrawal sends to humans. */
  readonly decision: Decision;
  readonly waited_ms: number;
}

// Redis is not a trust boundary to skip: the envelope is checked, the decision is ours as written.
const deadlineSchema = z.object({
  host: z.string().min(1),
  key: z.string().min(1),
  incident_ids: z.array(z.string()),
  actions: z.array(z.object({ id: z.string(), params: z.record(z.string(), z.unknown()) })).min(1),
  decision: z.custom<Decision>((d) => typeof d === 'object' && d !== null && 'decision' in d),
  waited_ms: z.number().nonnegative(),
});

export type Withdrawal = 'withdrawn' | 'taken';

/**
 * Auto-heals wait for an agent only so long: a host whose agent is silent or
 * absent must not show "running" for ever, nor hold a breaker slot. Each job
 * gets a delayed deadline job on a queue of the bot's; at the deadline a job
 * no agent has claimed is withdrawn (run-withdraw.lua settles the race with
 * the agent's claim) and its incident goes to a human.
 */
export class PickupDeadlines {
  readonly queue: Queue<PickupDeadline>;

  constructor(connection: ConnectionOptions) {
    this.queue = new Queue<PickupDeadline>(queues.pickup, { connection });
  }

  async schedule(deadline: PickupDeadline): Promise<void> {
    await this.queue.add('pickup', deadline, {
      jobId: `pickup-${deadline.key}`,
      delay: deadline.waited_ms,
      attempts: 5,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: true,
      removeOnFail: { age: RUN_TTL_S },
    });
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

export function startPickupWorker(deps: PipelineDeps, connection: ConnectionOptions): Worker<PickupDeadline> {
  return new Worker<PickupDeadline>(queues.pickup, (job) => withdrawIfUntaken(deps, job.data), { connection });
}

/** At an auto-heal's deadline: nothing if an agent took it, else withdrawn and asked of a human. Safe to repeat. */
export async function withdrawIfUntaken(deps: PipelineDeps, raw: unknown): Promise<Withdrawal> {
  const deadline = deadlineSchema.parse(raw);
  const { host, key } = deadline;
  const reason = `no agent has taken this action in ${formatDuration(deadline.waited_ms)}`;
  const event: HealgateEvent = {
    type: 'action.withdrawn',
    host,
    job_id: key,
    incident_ids: [...deadline.incident_ids],
    actions: deadline.actions.map((a) => a.id),
    reason,
  };
  const script = await LuaScript.load('run-withdraw');
  const code = (await script.run(
    deps.redis,
    [keys.run(host, key), keys.autoHealing, keys.events],
    [autoHealingMember(host, key), RUN_TTL_S, JSON.stringify(event), MAX_EVENTS],
  )) as number;
  if (code === 0) return 'taken';
  // The job can no longer run (its run record says withdrawn); removing it only tidies the host's queue.
  await deps.actions
    .queue(host)
    .remove(key)
    .catch(() => 0);
  const decision = holdAutoHeal(deadline.decision, { rule: 'no_agent', reason });
  const approval = await deps.approvals.request({
    key: `${[...deadline.incident_ids].sort().join('+')}/no-agent`,
    host,
    decision,
    actions: deadline.actions,
    incident_ids: deadline.incident_ids,
  });
  await linkApproval(deps.redis, deadline.incident_ids, approval.id);
  return 'withdrawn';
}
