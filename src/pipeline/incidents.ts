import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { SignalState } from '../core/decide/types.js';
import { keys } from '../redis/keys.js';
import { LuaScript } from '../redis/lua.js';

export interface OpenedIncident {
  readonly id: string;
  readonly signal: string;
  /** To be announced now: opened just now, or opened by a batch that failed before announcing it. */
  readonly isNew: boolean;
  /** Its audit entries were written by the attempt that was cut short: only the rest is to be done. */
  readonly audited: boolean;
}

/** Where a deciding batch is: its arrival number and the snapshot's index among the host's in it. */
export interface Position {
  readonly arrival: number;
  readonly index: number;
}

/**
 * A later batch has claimed the host (see host-context-read.lua): what this
 * batch knows is out of date, so it changes nothing and acts on nothing.
 */
export class SupersededError extends Error {
  override readonly name = 'SupersededError';
  constructor(host: string, arrival: number) {
    super(`batch ${arrival} is superseded for ${host}`);
  }
}

/** How long an incident's announcement may take before a later batch takes it over (see host-context-read.lua). */
export const ANNOUNCE_GRACE_MS = 10_000;

export interface IncidentRef {
  readonly signal: string;
  readonly id: string;
}

type Condition = Pick<SignalState, 'value' | 'threshold' | 'class'> & { readonly signal: string };

export interface IncidentChanges {
  /** Per condition to open, in order: the incident now open for it. */
  readonly opened: readonly OpenedIncident[];
  /** The incidents resolved now (none for a signal that had none open). */
  readonly resolved: readonly { readonly id: string; readonly signal: string; readonly value: number }[];
}

/**
 * Opens and resolves a host's incidents for one snapshot, in one atomic
 * step. One open incident per (host, signal): opening an open one returns it
 * unchanged, so a condition that persists is not announced at every poll, by
 * any replica; each is resolved once. `position` is where the deciding
 * batch is (none when no batch decides); a superseded batch changes nothing
 * and gets a SupersededError.
 */
export async function changeIncidents(
  redis: Redis,
  host: string,
  change: {
    readonly open?: readonly Condition[];
    readonly resolve?: readonly { signal: string; value: number }[];
    /** Open incidents to announce as new if their announcement is still unfinished (HostContext.takeover). */
    readonly takeover?: readonly IncidentRef[];
  },
  at: Date,
  position: Position = { arrival: 0, index: 0 },
): Promise<IncidentChanges> {
  const open = change.open ?? [];
  const resolve = change.resolve ?? [];
  const reply = (await (
    await LuaScript.load('incidents-change')
  ).run(
    redis,
    [keys.hostIncidents(host), keys.host(host)],
    [
      position.arrival,
      position.index,
      host,
      at.toISOString(),
      keys.incident(''),
      (change.takeover ?? []).map((t) => `${t.signal}=${t.id}`).join(','),
      open.length,
      ...open.flatMap((c) => [
        c.signal,
        `inc-${randomBytes(8).toString('hex')}`,
        String(c.value),
        String(c.threshold),
        c.class,
      ]),
      ...resolve.flatMap((r) => [r.signal, String(r.value)]),
    ],
  )) as (string | number)[] | number;
  if (!Array.isArray(reply)) throw new SupersededError(host, position.arrival);
  const opened = open.map((c, i) => {
    const status = Number(reply[2 * i + 1]);
    return { id: String(reply[2 * i]), signal: c.signal, isNew: status > 0, audited: status === 3 };
  });
  const resolved = resolve
    .map((r, i) => ({ ...r, id: String(reply[2 * open.length + i] ?? '') }))
    .filter((r) => r.id !== '');
  return { opened, resolved };
}

export async function openIncident(
  redis: Redis,
  host: string,
  condition: Condition,
  at: Date,
): Promise<OpenedIncident> {
  return (await changeIncidents(redis, host, { open: [condition] }, at)).opened[0]!;
}

/** Resolves the open incident of (host, signal), once; undefined if none was open. */
export async function resolveIncident(
  redis: Redis,
  host: string,
  signal: string,
  value: number,
  at: Date,
): Promise<string | undefined> {
  return (await changeIncidents(redis, host, { resolve: [{ signal, value }] }, at)).resolved[0]?.id;
}

/** The incidents' announcements are done: nobody takes them over any more. */
export function markAnnounced(redis: Redis, ids: readonly string[]): Promise<void> {
  return flag(redis, ids, 'announced');
}

/** The incidents' audit entries are written: a takeover does not write them again. */
export function markAudited(redis: Redis, ids: readonly string[]): Promise<void> {
  return flag(redis, ids, 'audited');
}

async function flag(redis: Redis, ids: readonly string[], field: string): Promise<void> {
  if (ids.length === 0) return;
  const m = redis.multi();
  for (const id of ids) m.hset(keys.incident(id), field, '1');
  await m.exec();
}

export async function linkApproval(redis: Redis, incidentIds: readonly string[], approvalId: string): Promise<void> {
  if (incidentIds.length === 0) return;
  const m = redis.multi();
  for (const id of incidentIds) m.hset(keys.incident(id), 'approval_id', approvalId);
  await m.exec();
}

export async function incidentRecords(redis: Redis, ids: readonly string[]): Promise<Record<string, string>[]> {
  if (ids.length === 0) return [];
  const m = redis.multi();
  for (const id of ids) m.hgetall(keys.incident(id));
  const replies = (await m.exec()) ?? [];
  return replies.map(([, v]) => (v ?? {}) as Record<string, string>);
}
