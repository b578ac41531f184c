import type { Redis } from 'ioredis';
import { canonicalJson, chainHash, GENESIS } from './chain.js';
import type { AuditKeys } from './keys.js';
import { parseJsonObject, walkStream, type StoredEntry } from './stream.js';

export type TamperProblem = 'changed' | 'removed' | 'inserted';

export type VerifyResult =
  | { ok: true; entries: number; head: string | null }
  | {
      ok: false;
      /** Entries read, up to and including the one that gave the problem away. */
      entries_checked: number;
      problem: TamperProblem;
      /**
       * changed / inserted: the entry itself. removed: the entry that follows
       * the gap, or the newest entry left when the gap is at the end (null
       * when nothing is left).
       */
      id: string | null;
      detail: string;
    };

/** How far back a head that stopped short of the newest entry is looked for. */
const RECENT = 1000;

/** Whether an entry's hash is the hash of its own content and prev. */
function intact(entry: StoredEntry): boolean {
  const content = parseJsonObject(entry.e);
  if (!content || entry.prev === undefined || entry.hash === undefined) return false;
  return chainHash(entry.prev, canonicalJson(content)) === entry.hash;
}

const short = (hash: string | null | undefined) => (hash ? `${hash.slice(0, 12)}…` : String(hash));

/**
 * Walks the chain oldest first with one entry of look-ahead: an entry that
 * breaks the chain is told apart as changed, inserted or following a gap by
 * whether its own hash holds and whether its neighbour chains around it.
 */
export async function verifyChain(redis: Redis, keys: AuditKeys): Promise<VerifyResult> {
  const entries = walkStream(redis, keys.stream, { start: '-', end: '+', order: 'oldest' });
  let lookahead: StoredEntry | undefined;
  let exhausted = false;
  const peek = async () => {
    if (!lookahead && !exhausted) {
      const next = await entries.next();
      if (next.done) exhausted = true;
      else lookahead = next.value;
    }
    return lookahead;
  };
  const take = async () => {
    const entry = await peek();
    lookahead = undefined;
    return entry;
  };
  let head: string | null | undefined;
  const readHead = async () => (head ??= await redis.get(keys.head));

  let expected = GENESIS;
  let before: string | undefined;
  let previous: StoredEntry | undefined;
  // The newest accepted entries, as a ring, oldest at accepted % RECENT once full.
  const recent: StoredEntry[] = [];
  let accepted = 0;
  let checked = 0;
  const fail = (problem: TamperProblem, id: string | null, detail: string): VerifyResult => ({
    ok: false,
    entries_checked: checked,
    problem,
    id,
    detail,
  });

  for (let entry = await take(); entry; entry = await take()) {
    checked += 1;
    const selfIntact = intact(entry);
    if (selfIntact && entry.prev === expected) {
      before = expected;
      expected = entry.hash!;
      previous = entry;
      recent[accepted++ % RECENT] = entry;
      continue;
    }
    const next = await peek();
    // The chain goes on past this entry as if it were not there.
    const bypassed = next ? next.prev === expected : (await readHead()) === expected;
    if (!selfIntact) {
      return bypassed
        ? fail(
            'inserted',
            entry.id,
            `entry ${entry.id} is not part of the chain: its hash does not match its content and the chain runs past it`,
          )
        : fail(
            'changed',
            entry.id,
            `entry ${entry.id} was changed: its content no longer matches its hash ${short(entry.hash)}`,
          );
    }
    if (previous && entry.prev === before) {
      return fail(
        'inserted',
        previous.id,
        `entry ${previous.id} was inserted: entry ${entry.id} chains to the entry before it`,
      );
    }
    if (bypassed) {
      return fail(
        'inserted',
        entry.id,
        `entry ${entry.id} was inserted: its prev ${short(entry.prev)} is not the hash of the entry before it and the chain runs past it`,
      );
    }
    return fail(
      'removed',
      entry.id,
      previous
        ? `entries are missing between ${previous.id} and ${entry.id} (or ${previous.id} was rewritten with a recomputed hash): ${entry.id} chains to ${short(entry.prev)}, not ${short(expected)}`
        : `entries are missing before ${entry.id}, the oldest entry left: it chains to ${short(entry.prev)}, not to the start of the log`,
    );
  }

  const finalHead = await readHead();
  if (finalHead === (previous ? expected : null)) return { ok: true, entries: checked, head: finalHead };
  if (!previous)
    return fail(
      'removed',
      null,
      `the stream is empty but ${keys.head} says entries were written (${short(finalHead)})`,
    );
  if (finalHead === null) {
    return fail(
      'removed',
      previous.id,
      `${keys.head} is missing, so entries after ${previous.id} may have been removed`,
    );
  }
  const newest = [...recent.slice(accepted % RECENT), ...recent.slice(0, accepted % RECENT)];
  const stop = newest.findIndex((e) => e.hash === finalHead);
  if (stop >= 0 && newest[stop + 1]) {
    const first = newest[stop + 1]!;
    return fail(
      'inserted',
      first.id,
      `entry ${first.id} and any after it were added without going through healgate: the head is still ${newest[stop]!.id}`,
    );
  }
  return fail(
    'removed',
    previous.id,
    `entries after ${previous.id}, the newest left, are missing: the head is ${short(finalHead)} but that entry's hash is ${short(expected)}`,
  );
}
