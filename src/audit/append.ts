import type { Redis } from 'ioredis';
import { z } from 'zod';
import { formatIssues } from '../core/snapshot/validate.js';
import { canonicalJson, chainHash, GENESIS } from './chain.js';
import { AuditInputError, AuditIntegrityError } from './errors.js';
import { DAY_MS, floorTo, HOUR_MS, ROLLUP_TTL_MS, type AuditKeys } from './keys.js';
import type { LuaScript } from '../redis/lua.js';
import { isNoScript } from '../redis/lua.js';
import { rollupDeltas } from './rollup.js';
import { auditEntryInputSchema, type AuditEntry, type AuditRecord } from './schema.js';
import { walkStream } from './stream.js';

/** Larger entries belong in a file the entry points to, not in a 400-day stream. */
export const MAX_ENTRY_BYTES = 64 * 1024;
const LATEST_DATE_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const PIPELINE_SLICE = 250;
/** Each conflict means another writer got in, so this only trips on a broken server or script. */
const MAX_ROUNDS_WITHOUT_PROGRESS = 1000;

/**
 * How long an event's marks are kept. An event is read again only while it
 * is unacknowledged: seconds after a crash, or once Redis is back when it
 * went away between the append and the acknowledgement. A day covers that
 * with room to spare, and keeps the marks to about a day's events.
 */
const RECORDED_TTL_S = 86_400;

/** An entry validated and encoded, ready to be chained onto any head. */
export interface PreparedEntry {
  entry: AuditEntry;
  canonical: string;
  atMs: number;
  keys: string[];
  /** ARGV after prev and hash. */
  args: string[];
}

/** The event an entry comes from and its place among that event's entries: it is appended once. */
export interface EntryMark {
  readonly eventId: string;
  readonly index: number;
}

export function prepareEntry(keys: AuditKeys, input: unknown, at: Date, mark?: EntryMark): PreparedEntry {
  if (!(at instanceof Date) || !(at.getTime() >= 0 && at.getTime() <= LATEST_DATE_MS)) {
    throw new AuditInputError('audit entry rejected: at: expected a valid date between 1970 and 9999');
  }
  const parsed = auditEntryInputSchema.safeParse(input);
  if (!parsed.success) throw new AuditInputError(`audit entry rejected: ${formatIssues(parsed.error)}`);
  const atMs = at.getTime();
  const entry: AuditEntry = { ...parsed.data, ts: at.toISOString() };
  const canonical = canonicalJson(entry);
  if (Buffer.byteLength(canonical) > MAX_ENTRY_BYTES) {
    throw new AuditInputError(`audit entry rejected: larger than ${MAX_ENTRY_BYTES} bytes as JSON`);
  }
  const hour = floorTo(atMs, HOUR_MS);
  const day = floorTo(atMs, DAY_MS);
  const expireAt = (start: number) => String(Math.ceil((start + ROLLUP_TTL_MS) / 1000));
  return {
    entry,
    canonical,
    atMs,
    keys: [
      keys.stream,
      keys.head,
      keys.skew,
      mark ? keys.recorded(mark.eventId) : keys.head,
      ...keys.hourBucket(hour),
      ...keys.dayBucket(day),
    ],
    args: [
      String(atMs),
      canonical,
      entry.host ?? '',
      rollupDeltas(entry)
        .map(([slot, amount]) => `${slot}=${amount}`)
        .join(','),
      mark ? String(mark.index) : '',
      String(RECORDED_TTL_S),
      expireAt(hour),
      expireAt(day),
    ],
  };
}

const replySchema = z.union([
  z.tuple([z.literal('ok'), z.string()]),
  z.tuple([z.literal('conflict'), z.string()]),
  z.tuple([z.literal('head_missing'), z.string()]),
  z.tuple([z.literal('recorded'), z.string()]),
]);

/** What became of one entry: appended now, or (a marked entry) appended before, under that stream id. */
export type Appended = { accepted: AuditRecord } | { recorded: string };
type Outcome = Appended | { head: string };

/**
 * Appends entries to the hash chain. The hash needs the previous entry's hash
 * and Lua has no sha256, so each entry is hashed here against the head we
 * believe in, and the script appends it only if that is still the head.
 */
export class ChainAppender {
  /** Our best guess of the head, so that an uncontended append is one round trip. */
  private head: string | undefined;
  /**
   * Appends from this process go one at a time: concurrent ones would only
   * beat each other to the head and retry. Other processes still race, and
   * the compare-and-append settles that.
   */
  private turn: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly redis: Redis,
    private readonly keys: AuditKeys,
    private readonly script: Promise<LuaScript>,
  ) {}

  append(prepared: PreparedEntry): Promise<Appended> {
    return this.inTurn(() => this.appendNow(prepared));
  }

  appendMany(prepared: readonly PreparedEntry[]): Promise<Appended[]> {
    return this.inTurn(() => this.appendManyNow(prepared));
  }

  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const run = this.turn.then(work, work);
    this.turn = run.catch(() => undefined);
    return run;
  }

  private async appendNow(prepared: PreparedEntry): Promise<Appended> {
    const script = await this.script;
    let prev = await this.currentHead();
    for (let round = 0; round < MAX_ROUNDS_WITHOUT_PROGRESS; round++) {
      const hash = chainHash(prev, prepared.canonical);
      const reply = await script.run(this.redis, prepared.keys, [prev, hash, ...prepared.args]);
      const outcome = await this.settle(reply, prepared, prev, hash);
      if (!('head' in outcome)) return outcome;
      prev = outcome.head;
    }
    throw new AuditIntegrityError(`audit append gave up after ${MAX_ROUNDS_WITHOUT_PROGRESS} conflicts`);
  }

  /**
   * Many entries in order, pipelined. An entry that loses a race makes every
   * later one in the pipeline miss too (they chain onto it), so the rest are
   * simply re-hashed onto the new head and sent again.
   */
  private async appendManyNow(prepared: readonly PreparedEntry[]): Promise<Appended[]> {
    const script = await this.script;
    const records: Appended[] = [];
    let prev = await this.currentHead();
    let idle = 0;
    await script.preload(this.redis);
    while (records.length < prepared.length) {
      if (idle++ >= MAX_ROUNDS_WITHOUT_PROGRESS) {
        throw new AuditIntegrityError(`audit append gave up after ${MAX_ROUNDS_WITHOUT_PROGRESS} conflicts`);
      }
      const pending = prepared.slice(records.length);
      const chain: Array<{ prev: string; hash: string }> = [];
      const sent: Array<Promise<Array<[Error | null, unknown]> | null>> = [];
      let link = prev;
      // In slices, so that Redis runs one while the next is hashed.
      for (let start = 0; start < pending.length; start += PIPELINE_SLICE) {
        const pipeline = this.redis.pipeline();
        for (const p of pending.slice(start, start + PIPELINE_SLICE)) {
          const hash = chainHash(link, p.canonical);
          chain.push({ prev: link, hash });
          script.queue(pipeline, p.keys, [link, hash, ...p.args]);
          link = hash;
        }
        sent.push(pipeline.exec());
      }
      const replies = (await Promise.all(sent)).flatMap((r) => r ?? []);
      for (let i = 0; i < pending.length; i++) {
        const [err, reply] = replies[i] ?? [new Error('no reply from Redis')];
        if (err) {
          if (!isNoScript(err)) throw err;
          await script.preload(this.redis);
          break;
        }
        const outcome = await this.settle(reply, pending[i]!, chain[i]!.prev, chain[i]!.hash);
        if ('head' in outcome) {
          prev = outcome.head;
          break;
        }
        records.push(outcome);
        idle = 0;
        // Appended before: the entries chained onto this one's hash are re-hashed onto the head.
        if ('recorded' in outcome) break;
        prev = outcome.accepted.hash;
      }
    }
    return records;
  }

  private async currentHead(): Promise<string> {
    this.head ??= (await this.redis.get(this.keys.head)) ?? GENESIS;
    return this.head;
  }

  private async settle(reply: unknown, prepared: PreparedEntry, prev: string, hash: string): Promise<Outcome> {
    const parsed = replySchema.safeParse(reply);
    if (!parsed.success)
      throw new AuditIntegrityError(`unexpected reply from the audit append script: ${String(reply)}`);
    const [status, value] = parsed.data;
    if (status === 'recorded') return { recorded: value };
    if (status === 'ok') {
      this.head = hash;
      return { accepted: { id: value, ...prepared.entry, prev, hash } };
    }
    if (status === 'head_missing') {
      this.head = undefined;
      throw new AuditIntegrityError(
        `refusing to append: ${this.keys.head} is missing while ${this.keys.stream} holds ${value} entries; ` +
          'run `healgate audit verify`',
      );
    }
    this.head = value;
    // The head is our own hash when a reply was lost and the client re-sent the command.
    if (value === hash) {
      for await (const last of walkStream(this.redis, this.keys.stream, {
        start: '-',
        end: '+',
        order: 'newest',
        page: 1,
      })) {
        if (last.hash === hash && last.prev === prev && last.e === prepared.canonical) {
          return { accepted: { id: last.id, ...prepared.entry, prev, hash } };
        }
        break;
      }
    }
    return { head: value };
  }
}
