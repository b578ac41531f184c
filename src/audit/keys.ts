export const DEFAULT_AUDIT_KEY = 'healgate:audit';

/** Rollup buckets live this long after the start of their hour or day. */
export const ROLLUP_TTL_MS = 400 * 86_400_000;

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** All Redis keys of one audit log, derived from its stream key. */
export class AuditKeys {
  /** Hash of the newest entry: what the next entry's `prev` must be. */
  readonly head: string;
  /** Largest amount (ms) by which an entry's stream id ran ahead of its ts; bounds time-range reads. */
  readonly skew: string;

  constructor(readonly stream: string) {
    this.head = `${stream}:head`;
    this.skew = `${stream}:skew`;
  }

  /** Which entries of one event (by its stream id) are appended already, each with its entry's id. */
  recorded(eventId: string): string {
    return `${this.stream}:recorded:${eventId}`;
  }

  /** `<stream>:rollup:2026-11-25T10` (UTC hour) and its host index. */
  hourBucket(startMs: number): [counters: string, index: string] {
    return this.bucket(new Date(startMs).toISOString().slice(0, 13));
  }

  /** `<stream>:rollup:2026-11-25` (UTC day) and its host index. */
  dayBucket(startMs: number): [counters: string, index: string] {
    return this.bucket(new Date(startMs).toISOString().slice(0, 10));
  }

  private bucket(name: string): [string, string] {
    const counters = `${this.stream}:rollup:${name}`;
    return [counters, `${counters}:hosts`];
  }
}

export const floorTo = (ms: number, unit: number) => Math.floor(ms / unit) * unit;
