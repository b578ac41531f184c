import { z } from 'zod';
import {
  READING_SOURCES,
  type AlertClaim,
  type Merged,
  type Reading,
  type SignalViews,
} from '../core/signals/merge.js';
import { hostSchema, SIGNALS, snapshotSchema, type Signals, type Snapshot } from '../core/snapshot/schema.js';

/**
 * An ingest job's entry: a reading (a snapshot from an agent or pushed to
 * the API; jobs written before sources existed are pushes), or a trigger
 * that asks for a host to be decided again because an alert or a firewall
 * request changed what it holds. A trigger carries no values: the host's
 * latest reading stands for them.
 */
export type IngestEntry = ReadingEntry | TriggerEntry;
export type ReadingEntry = Snapshot & { readonly source?: Reading['source'] };
export interface TriggerEntry {
  readonly host: string;
  readonly trigger: 'alert' | 'firewall';
}

const triggerSchema = z.strictObject({ host: hostSchema, trigger: z.enum(['alert', 'firewall']) });
const readingEntrySchema = snapshotSchema.extend({ source: z.enum(READING_SOURCES).default('push') });

export type ParsedEntry =
  | { readonly host: string; readonly reading: Reading; readonly ts: string | undefined }
  | { readonly host: string; readonly reading: undefined; readonly ts: undefined };

/** An entry as the worker reads it back from Redis (not a trust boundary to skip); undefined when invalid. */
export function parseEntry(raw: unknown, at: number): ParsedEntry | undefined {
  const trigger = triggerSchema.safeParse(raw);
  if (trigger.success) return { host: trigger.data.host, reading: undefined, ts: undefined };
  const entry = readingEntrySchema.safeParse(raw);
  if (!entry.success) return undefined;
  const { host, ts, source, ...values } = entry.data;
  return { host, ts, reading: { source, values, at } };
}

/** A snapshot's five values, without its host and time. */
export function signalsOf(snapshot: Snapshot): Signals {
  return Object.fromEntries(SIGNALS.map((s) => [s, snapshot[s]])) as Signals;
}

/** The snapshot to decide on: the merged values, with the reading's own time when it has one. */
export function mergedSnapshot(host: string, ts: string | undefined, merged: Merged): Snapshot {
  return { host, ...(ts ? { ts } : {}), ...merged.values };
}

/** What a host's state keeps about its signals (field `signals`): the latest reading and where each value came from. */
export interface StoredSignals {
  readonly reading: Reading | null;
  readonly views: SignalViews;
}

const readingSchema = z.object({
  source: z.enum(READING_SOURCES),
  values: snapshotSchema.omit({ host: true, ts: true }),
  at: z.number(),
});

/**
 * The host's latest reading as its state keeps it; for a host last written
 * before readings were kept apart, its last snapshot, as a push. Undefined
 * for a host only alerts speak for, or an unreadable state.
 */
export function storedReading(
  signals: string | null | undefined,
  snapshot?: string | null,
  updatedAt?: string | null,
): Reading | undefined {
  try {
    if (signals) {
      const parsed = readingSchema.safeParse((JSON.parse(signals) as { reading?: unknown }).reading);
      return parsed.success ? parsed.data : undefined;
    }
    const last = snapshot ? snapshotSchema.safeParse(JSON.parse(snapshot)) : undefined;
    return last?.success ? { source: 'push', values: signalsOf(last.data), at: Number(updatedAt) || 0 } : undefined;
  } catch {
    return undefined;
  }
}

export function storedViews(json: string | null | undefined): SignalViews | null {
  if (!json) return null;
  try {
    return (JSON.parse(json) as { views?: SignalViews }).views ?? null;
  } catch {
    return null;
  }
}

const claimSchema = z.object({
  fingerprint: z.string(),
  alertname: z.string(),
  signal: z.enum(SIGNALS),
  value: z.number().min(0),
  starts_at: z.string(),
  ends_at: z.string().nullable(),
});

/** Claims as stored by alerts-apply.lua (`starts ms|claim JSON`), from a flat field/value list. */
export function parseClaims(flat: readonly string[]): AlertClaim[] {
  const claims: AlertClaim[] = [];
  for (let i = 1; i < flat.length; i += 2) {
    const value = flat[i]!;
    try {
      const parsed = claimSchema.safeParse(JSON.parse(value.slice(value.indexOf('|') + 1)));
      if (parsed.success) claims.push(parsed.data);
    } catch {
      // A claim that does not parse holds nothing; its alert's next notification writes it again.
    }
  }
  return claims;
}
