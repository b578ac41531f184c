import type { Policy } from '../../core/policy/policy.js';
import { SIGNALS, type Signal } from '../../core/snapshot/schema.js';
import type { CommandReply } from '../commands.js';
import { auditDoc, diagnosisDoc, verifyDoc } from './commands.js';
import type { MessageDoc } from './doc.js';

export function thresholds(policy: Policy): Record<Signal, number> {
  return Object.fromEntries(SIGNALS.map((s) => [s, policy.signals[s].threshold])) as Record<Signal, number>;
}

/** A command's answer as a message; a usage reply is plain text for the asker alone. */
export function commandDoc(reply: Exclude<CommandReply, { kind: 'usage' }>, policy: Policy): MessageDoc {
  switch (reply.kind) {
    case 'diagnose':
      return diagnosisDoc(reply.diagnosis, thresholds(policy));
    case 'audit':
      return auditDoc(reply.window, reply.summary);
    case 'verify':
      return verifyDoc(reply.result);
  }
}
