import type { Redis } from 'ioredis';
import { z } from 'zod';
import { hostSchema } from '../core/snapshot/schema.js';
import { formatIssues } from '../core/snapshot/validate.js';
import { ChainAppender, prepareEntry, type Appended, type EntryMark } from './append.js';
import { AuditInputError } from './errors.js';
import { AuditKeys, DEFAULT_AUDIT_KEY } from './keys.js';
import { LuaScript } from '../redis/lua.js';
import { auditTypeSchema, type AuditEntryInput, type AuditRecord, type AuditType } from './schema.js';
import { parseJsonObject, toRecord, walkStream } from './stream.js';
import { readSummary, type AuditSummary } from './summary.js';
import { verifyChain, type VerifyResult } from './verify.js';

export const DEFAULT_ENTRIES_LIMIT = 100;
export const MAX_ENTRIES_LIMIT = 1000;

const date = z.date({ error: 'expected a valid Date' });

const entriesFilterSchema = z.strictObject({
  since: date.optional(),
  until: date.optional(),
  host: hostSchema.optional(),
  type: auditTypeSchema.optional(),
  limit: z.number().int({ error: 'expected a whole number' }).min(1, { error: 'must be >= 1' }).optional(),
});

const summaryFilterSchema = z
  .strictObject({ since: date, until: date, host: hostSchema.optional() })
  .refine((f) => f.since.getTime() <= f.until.getTime(), { error: 'since must not be after until', path: ['since'] });

export interface EntriesFilter {
  since?: Date;
  until?: Date;
  host?: string;
  type?: AuditType;
  /** Default 100; more than 1000 reads 1000. */
  limit?: number;
}

export interface SummaryFilter {
  since: Date;
  until: Date;
  host?: string;
}

function parseFilter<T>(schema: z.ZodType<T>, what: string, input: unknown): T {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new AuditInputError(`${what}: ${formatIssues(parsed.error)}`);
  return parsed.data;
}

/**
 * The append-only audit log: a Redis stream whose entries form a sha256 hash
 * chain, with hourly and daily rollups kept in step by the same script.
 */
export class AuditLog {
  private readonly keys: AuditKeys;
  private readonly appender: ChainAppender;
  private readonly summaryScript: Promise<LuaScript>;

  constructor(
    private readonly redis: Redis,
    options: { key?: string } = {},
  ) {
    this.keys = new AuditKeys(options.key ?? DEFAULT_AUDIT_KEY);
    const script = LuaScript.load('audit-append');
    this.summaryScript = LuaScript.load('audit-summary');
    // Surface on first use; an unhandled rejection here would crash the process first.
    script.catch(() => undefined);
    this.summaryScript.catch(() => undefined);
    this.appender = new ChainAppender(redis, this.keys, script);
  }

  /**
   * Validates, chains and writes one entry; throws AuditInputError and writes
   * nothing if it is invalid. For what is not a state change (a refused
   * attempt, an input received): state changes reach the audit as events.
   */
  async append(entry: AuditEntryInput, at: Date): Promise<AuditRecord> {
    return accepted(await this.appender.append(prepareEntry(this.keys, entry, at)));
  }

  /** Many entries in order, pipelined (imports, benchmarks); nothing is written unless all are valid. */
  async appendMany(items: ReadonlyArray<{ entry: AuditEntryInput; at: Date }>): Promise<AuditRecord[]> {
    const prepared = items.map((item, i) => {
      try {
        return prepareEntry(this.keys, item.entry, item.at);
      } catch (err) {
        if (err instanceof AuditInputError) throw new AuditInputError(`item ${i}: ${err.message}`);
        throw err;
      }
    });
    return (await this.appender.appendMany(prepared)).map(accepted);
  }

  /**
   * Entries that events stand for, in order, each at most once by its mark
   * however often it is recorded (src/audit/recorder.ts). An invalid entry is
   * not written and its error is returned in its place; the others are.
   */
  async record(
    items: ReadonlyArray<{ entry: AuditEntryInput; at: Date; mark: EntryMark }>,
  ): Promise<(Appended | AuditInputError)[]> {
    const out: (Appended | AuditInputError | undefined)[] = [];
    const valid: ReturnType<typeof prepareEntry>[] = [];
    for (const item of items) {
      try {
        valid.push(prepareEntry(this.keys, item.entry, item.at, item.mark));
        out.push(undefined);
      } catch (err) {
        if (!(err instanceof AuditInputError)) throw err;
        out.push(err);
      }
    }
    const appended = await this.appender.appendMany(valid);
    let next = 0;
    return out.map((o) => o ?? appended[next++]!);
  }

  /** Newest first. since/until bound the entries' `ts`, inclusive. */
  async entries(filter: EntriesFilter = {}): Promise<AuditRecord[]> {
    const f = parseFilter(entriesFilterSchema, 'audit entries filter', filter);
    const limit = Math.min(f.limit ?? DEFAULT_ENTRIES_LIMIT, MAX_ENTRIES_LIMIT);
    // Stream ids are never earlier than ts, and later by at most the recorded skew.
    const skew = f.until ? Number((await this.redis.get(this.keys.skew)) ?? 0) : 0;
    const range = {
      start: f.since ? String(f.since.getTime()) : '-',
      end: f.until ? String(f.until.getTime() + skew) : '+',
      order: 'newest' as const,
      page: Math.max(limit, 200),
    };
    const since = f.since?.toISOString();
    const until = f.until?.toISOString();
    const out: AuditRecord[] = [];
    for await (const stored of walkStream(this.redis, this.keys.stream, range)) {
      const record = toRecord(stored);
      if (since !== undefined && record.ts < since) continue;
      if (until !== undefined && record.ts > until) continue;
      if (f.host !== undefined && record.host !== f.host) continue;
      if (f.type !== undefined && record.type !== f.type) continue;
      out.push(record);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Counters over whole UTC hours, from the rollups: same cost at a thousand or a million entries. */
  async summary(filter: SummaryFilter): Promise<AuditSummary> {
    const f = parseFilter(summaryFilterSchema, 'audit summary filter', filter);
    return readSummary(this.redis, this.keys, await this.summaryScript, f);
  }

  verify(): Promise<VerifyResult> {
    return verifyChain(this.redis, this.keys);
  }

  /**
   * JSONL, oldest first, entries with ts >= since; returns how many. Entries
   * are written as stored, even ones verify would flag, so that a tampered
   * log can still be examined.
   */
  async export(since: Date, out: NodeJS.WritableStream): Promise<number> {
    const from = parseFilter(date, 'audit export since', since);
    const sinceIso = from.toISOString();
    let count = 0;
    const range = { start: String(from.getTime()), end: '+', order: 'oldest' as const };
    for await (const stored of walkStream(this.redis, this.keys.stream, range)) {
      const content = parseJsonObject(stored.e);
      if (content && typeof content.ts === 'string' && content.ts < sinceIso) continue;
      const line = { id: stored.id, ...(content ?? { e: stored.e }), prev: stored.prev, hash: stored.hash };
      await write(out, `${JSON.stringify(line)}\n`);
      count += 1;
    }
    return count;
  }
}

/** Only a marked entry can have been appended before. */
function accepted(appended: Appended): AuditRecord {
  if ('accepted' in appended) return appended.accepted;
  throw new Error(`audit entry ${appended.recorded} reported as recorded before, though it carries no mark`);
}

function write(out: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    out.once('error', onError);
    const done = () => {
      out.removeListener('error', onError);
      resolve();
    };
    if (out.write(text)) done();
    else out.once('drain', done);
  });
}
