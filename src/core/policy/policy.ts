import { createHash } from 'node:crypto';
import { formatIssues, type Result } from '../snapshot/validate.js';
import { policyDocumentSchema, type PolicyDocument } from './schema.js';

export interface Policy extends PolicyDocument {
  /** `name@` + the first 12 hex digits of the file's sha256: what decisions and audit entries cite. */
  readonly id: string;
  readonly sha256: string;
  /**
   * `name@` + a hash of the signal table only: what a model trained on this
   * policy learned. Editing approvers or actions does not change it.
   */
  readonly signalsId: string;
}

/** Validates a parsed policy document; `sourceText` is what gets hashed. */
export function compilePolicy(document: unknown, sourceText: string): Result<Policy> {
  const parsed = policyDocumentSchema.safeParse(document);
  if (!parsed.success) return { ok: false, error: formatIssues(parsed.error) };
  const { name, signals } = parsed.data;
  const sha256 = createHash('sha256').update(sourceText).digest('hex');
  const signalsHash = createHash('sha256').update(JSON.stringify(signals)).digest('hex');
  return {
    ok: true,
    value: {
      ...parsed.data,
      id: `${name}@${sha256.slice(0, 12)}`,
      sha256,
      signalsId: `${name}@${signalsHash.slice(0, 12)}`,
    },
  };
}
