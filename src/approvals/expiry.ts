import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import { queues } from '../redis/keys.js';
import type { ApprovalService } from './service.js';

export function expiryQueue(connection: ConnectionOptions): Queue<{ id: string }> {
  return new Queue<{ id: string }>(queues.approvals, { connection });
}

/** Runs each approval's delayed expiry job; a request decided earlier is left as it is. */
export function startExpiryWorker(approvals: ApprovalService, connection: ConnectionOptions): Worker<{ id: string }> {
  return new Worker<{ id: string }>(queues.approvals, async (job) => (await approvals.expire(job.data.id)).ok, {
    connection,
  });
}
