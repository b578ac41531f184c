import type { z } from 'zod';
import { snapshotSchema, type Snapshot } from './schema.js';

export type Result<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * One line a user can act on: `disk_usage: must be <= 100 (percent)`, with
 * several issues joined by "; ". Unknown keys are named in the path, since
 * zod reports them against the enclosing object.
 */
export function formatIssues(error: z.ZodError, prefix: readonly PropertyKey[] = []): string {
  return error.issues
    .flatMap((issue) => {
      const base = [...prefix, ...issue.path];
      if (issue.code === 'unrecognized_keys') {
        return issue.keys.map((key) => `${formatPath([...base, key])}: unknown key`);
      }
      const path = formatPath(base);
      return [path ? `${path}: ${issue.message}` : issue.message];
    })
    .join('; ');
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

export function parseSnapshot(input: unknown): Result<Snapshot> {
  const parsed = snapshotSchema.safeParse(input);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, error: formatIssues(parsed.error) };
}
