import type { Redis } from 'ioredis';
import { AuditIntegrityError } from './errors.js';
import { auditEntrySchema, type AuditRecord } from './schema.js';

/** One stream entry as Redis returns it; any field may be missing if someone wrote it by hand. */
export interface StoredEntry {
  id: string;
  e: string | undefined;
  prev: string | undefined;
  hash: string | undefined;
}

type RawEntry = [id: string, fields: string[]];

function toStored([id, fields]: RawEntry): StoredEntry {
  const stored: StoredEntry = { id, e: undefined, prev: undefined, hash: undefined };
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i];
    if (name === 'e' || name === 'prev' || name === 'hash') stored[name] = fields[i + 1];
  }
  return stored;
}

/** Milliseconds part of a stream id. */

/**
 * Entries between two ids (inclusive; `-` and `+` for the ends), in pages so
 * that a long stream is never read into memory at once.
 */
export async function* walkStream(
  redis: Redis,
  key: string,
  range: { start: string; end: string; order: 'oldest' | 'newest'; page?: number },
): AsyncGenerator<StoredEntry> {
  const page = range.page ?? 1000;
  let { start, end } = range;
  for (;;) {
    const raw =
      range.order === 'oldest'
        ? await redis.xrange(key, start, end, 'COUNT', page)
        : await redis.xrevrange(key, end, start, 'COUNT', page);
    for (const entry of raw) yield toStored(entry);
    const last = raw.at(-1);
    if (!last || raw.length < page) return;
    if (range.order === 'oldest') start = `(${last[0]}`;
    else end = `(${last[0]}`;
  }
}

export function parseJsonObject(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** A stored entry as a typed record; an entry healgate could not have written is an error. */
export function toRecord(stored: StoredEntry): AuditRecord {
  const parsed = auditEntrySchema.safeParse(parseJsonObject(stored.e));
  if (!parsed.success || stored.prev === undefined || stored.hash === undefined) {
    throw new AuditIntegrityError(
      `audit entry ${stored.id} is not a valid healgate entry; run \`healgate audit verify\` to check the log`,
    );
  }
  return { id: stored.id, ...parsed.data, prev: stored.prev, hash: stored.hash };
}
