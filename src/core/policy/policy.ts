import { createHash } from 'node:crypto';
import { formatIssues, type Result } from '../snapshot/validate.js';
import { policyDocumentSchema, type PolicyDocument } from './schema.js';

export interface Policy extends PolicyDocument {
  /** `name@` + the first 12 hex digits of the file's sha256: what decisions and audit entries cite. */
  readonly id: string;
  readonly sha256: string;
}

/** Validates a parsed policy document; `sourceText` is what gets hashed. */
export function compilePolicy(document: unknown, sourceText: string): Result<Policy> {
  const parsed = policyDocumentSchema.safeParse(document);
  if (!parsed.success) return { ok: false, error: formatIssues(parsed.error) };
  const sha256 = createHash('sha256').update(sourceText).digest('hex');
  return { ok: true, value: { ...parsed.data, id: `${parsed.data.name}@${sha256.slice(0, 12)}`, sha256 } };
}
