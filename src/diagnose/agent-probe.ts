import { randomUUID } from 'node:crypto';
import { Queue, type ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { isSilent, readBeat } from '../agent/heartbeat.js';
import type { DiagnoseRequest } from '../agent/diagnose-worker.js';
import { snapshotSchema } from '../core/snapshot/schema.js';
import { keys, queues } from '../redis/keys.js';
import { formatDuration } from '../core/policy/duration.js';
import type { FreshProbe, ProbeAnswer } from './service.js';
import { sibling } from '../redis/connect.js';

const replySchema = z.object({ snapshot: snapshotSchema, at: z.number() });

/**
 * Asks the host's agent for a fresh snapshot through the host's diagnose
 * queue and waits for its reply, at most the timeout. A host whose agent is
 * silent (no heartbeat within the policy's multiple of its interval) is not
 * asked at all: the answer comes at once.
 */
export class AgentProbe implements FreshProbe {
  private readonly open = new Map<string, Queue<DiagnoseRequest>>();

  constructor(
    private readonly redis: Redis,
    private readonly connection: ConnectionOptions,
    private readonly heartbeatMultiple: number,
    private readonly now: () => Date,
  ) {}

  async measure(host: string, timeoutMs: number): Promise<ProbeAnswer> {
    const at = this.now().getTime();
    const heartbeat = await readBeat(this.redis, host);
    if (isSilent(heartbeat, at, this.heartbeatMultiple))
      return {
        ok: false,
        why: heartbeat
          ? `The agent on ${host} is silent (last heartbeat ${formatDuration(at - heartbeat.last_seen)} ago)`
          : `No agent runs on ${host}`,
      };
    const id = randomUUID();
    await this.queue(host).add(
      'measure',
      { request_id: id, asked_at: at },
      { jobId: id, removeOnComplete: true, removeOnFail: true },
    );
    // BLPOP holds its connection, so each wait gets one of its own.
    const waiter = sibling(this.redis);
    try {
      const reply = await waiter.blpop(keys.diagnoseReply(host, id), Math.max(0.1, timeoutMs / 1000));
      const parsed = reply ? replySchema.safeParse(JSON.parse(reply[1])) : undefined;
      if (parsed?.success) return { ok: true, snapshot: parsed.data.snapshot, at: parsed.data.at };
      return { ok: false, why: `The agent on ${host} did not answer within ${formatDuration(timeoutMs)}` };
    } finally {
      waiter.disconnect();
    }
  }

  private queue(host: string): Queue<DiagnoseRequest> {
    let q = this.open.get(host);
    if (!q) {
      q = new Queue<DiagnoseRequest>(queues.diagnose(host), { connection: this.connection });
      this.open.set(host, q);
    }
    return q;
  }

  async close(): Promise<void> {
    await Promise.all([...this.open.values()].map((q) => q.close()));
  }
}
