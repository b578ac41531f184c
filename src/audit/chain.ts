import { createHash } from 'node:crypto';

/** The `prev` of the first entry of a chain. */
export const GENESIS = '0'.repeat(64);

/**
 * JSON with object keys sorted at every depth, so the same entry always has
 * the same bytes whoever serialised it and in whatever key order.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const fields = Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
    return `{${fields.join(',')}}`;
  }
  return JSON.stringify(value);
}

export function chainHash(prev: string, canonical: string): string {
  return createHash('sha256').update(prev).update(canonical).digest('hex');
}
