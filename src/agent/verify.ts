import type { ActionJob } from '../actions/queues.js';
import type { Policy } from '../core/policy/policy.js';
import type { Signal } from '../core/snapshot/schema.js';

/** The signal an action job should bring back, and how long to wait before measuring it again. */
export function verifyPlan(policy: Policy, job: ActionJob): { signal: Signal; afterMs: number } | undefined {
  for (const action of job.actions) {
    const verify = policy.actions[action.id]?.verify;
    if (verify) return { signal: verify.signal, afterMs: verify.after };
  }
  return undefined;
}
