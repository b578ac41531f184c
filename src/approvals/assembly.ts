import type { Redis } from 'ioredis';
import { ActionQueues } from '../actions/queues.js';
import type { JobSigner } from '../actions/signing.js';
import { AuditLog } from '../audit/index.js';
import type { Policy } from '../core/policy/policy.js';
import { EventLog } from '../events/log.js';
import { expiryQueue } from './expiry.js';
import { ApprovalService } from './service.js';

/**
 * The approval service with what it writes to (audit, events, action and
 * expiry queues), as the bot builds it (agents never ask humans: they
 * report, and the bot escalates). `bull` carries the queues.
 */
export function approvalParts(
  redis: Redis,
  bull: Redis,
  policy: Policy,
  extraApprovers: readonly string[],
  now: () => Date,
  signer: JobSigner,
) {
  const audit = new AuditLog(redis);
  const events = new EventLog(redis);
  const actions = new ActionQueues(bull, redis, signer);
  const expiry = expiryQueue(bull);
  const approvals = new ApprovalService({ redis, policy, extraApprovers, audit, actions, expiry, now });
  return {
    audit,
    events,
    actions,
    expiry,
    approvals,
    close: async () => {
      await Promise.all([actions.close(), expiry.close()]);
    },
  };
}
