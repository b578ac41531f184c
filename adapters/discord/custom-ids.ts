import { z } from 'zod';

import type { Verdict } from '../../src/approvals/service.js';

export interface DecisionTarget {
  readonly verb: Verdict;
  readonly approvalId: string;
}

const PREFIX = 'healgate';

/**
 * The same id names the button and the modal it opens, so the submit knows
 * what it decides without any state kept between the two interactions.
 */
export function decisionId(verb: Verdict, approvalId: string): string {
  return `${PREFIX}:${verb}:${approvalId}`;
}

const decisionIdSchema = z
  .string()
  .regex(/^healgate:(approve|reject):apr-[0-9a-f]{16}$/)
  .transform((id): DecisionTarget => {
    const [, verb, approvalId] = id.split(':') as [string, Verdict, string];
    return { verb, approvalId };
  });

/** A button's or modal's custom id as Discord sends it back; undefined when it is not one of ours. */
export function parseDecisionId(customId: string): DecisionTarget | undefined {
  const parsed = decisionIdSchema.safeParse(customId);
  return parsed.success ? parsed.data : undefined;
}

export interface BulkTarget {
  readonly verb: Verdict;
  readonly groupId: string;
}

/** Approve all / Reject all on a storm's group message, and the bulk form it opens. */
export function bulkId(verb: Verdict, groupId: string): string {
  return `${PREFIX}:all:${verb}:${groupId}`;
}

const bulkIdSchema = z
  .string()
  .regex(/^healgate:all:(approve|reject):grp-[0-9a-f]{16}$/)
  .transform((id): BulkTarget => {
    const [, , verb, groupId] = id.split(':') as [string, string, Verdict, string];
    return { verb, groupId };
  });

export function parseBulkId(customId: string): BulkTarget | undefined {
  const parsed = bulkIdSchema.safeParse(customId);
  return parsed.success ? parsed.data : undefined;
}
