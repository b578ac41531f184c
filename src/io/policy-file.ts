import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { compilePolicy, type Policy } from '../core/policy/policy.js';

export class PolicyFileError extends Error {
  override readonly name = 'PolicyFileError';
}

/** Reads, parses and validates a policy file; every failure names the file and the offending key. */
export async function loadPolicyFile(path: string): Promise<Policy> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new PolicyFileError(`cannot read policy file ${path}: ${(err as Error).message}`);
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new PolicyFileError(`policy file ${path} is not valid YAML: ${doc.errors.map((e) => e.message).join('; ')}`);
  }
  const compiled = compilePolicy(doc.toJS(), text);
  if (!compiled.ok) throw new PolicyFileError(`policy file ${path} is invalid: ${compiled.error}`);
  return compiled.value;
}
