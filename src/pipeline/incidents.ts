import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Decision, SignalState } from '../core/decide/types.js';
import type { Snapshot } from '../core/snapshot/schema.js';
import { MAX_EVENTS } from '../events/log.js';
import type { HealgateEvent } from '../events/types.js';
import { keys } from '../redis/keys.js';
import { LuaScript } from '../redis/lua.js';

export interface OpenedIncident {
  readonly id: string;
  readonly signal: string;
  /** Opened just now: what it asks for (a heal, an approval request) is to be done. */
  readonly isNew: boolean;
}

const newIncidentId = (): string => `inc-${randomBytes(8).toString('hex')}`;

/**
 * The id a deciding batch opens an incident under, planned before anything is
 * written (breaker slots are taken under it first). It derives from where the
 * snapshot is in its batch, so an attempt that is redone plans the same id and
 * finds what the one cut short took or opened, instead of leaving it behind.
 */
export function plannedIncidentId(host: string, signal: string, position: Position): string {
  const at = `${host}|${signal}|${position.arrival}|${position.index}|${position.batch ?? ''}`;
  return `inc-${createHash('sha256').update(at).digest('hex').slice(0, 16)}`;
}

/**
 * The event incidents-change.lua writes as it opens incidents: JSON in which
 * `"$INCIDENTS"` stands for the incidents asked to open (each marked opened
 * now or open already) and `$INCIDENT_ID` for the first one opened now (the
 * script fills them in).
 */
export interface OpeningEvent {
  readonly json: string;
  /** Written even when nothing opens (a firewall request's decision), but once per snapshot. */
  readonly always: boolean;
}

/** The decision of a snapshot that opens incidents (or asks for a firewall change), for the audit. */
export function decisionRecorded(host: string, decision: Decision, snapshot: Snapshot, always: boolean): OpeningEvent {
  const event: Omit<Extract<HealgateEvent, { type: 'decision.recorded' }>, 'incidents'> = {
    type: 'decision.recorded',
    host,
    decision,
    snapshot,
  };
  return { json: JSON.stringify({ ...event, incidents: '$INCIDENTS' }), always };
}

/** Where a deciding batch is: its arrival number and the snapshot's index among the host's in it. */
export interface Position {
  readonly arrival: number;
  readonly index: number;
  /** What tells this batch from one numbered alike after Redis lost its counter (when it was received). */
  readonly batch?: string;
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

type Condition = Pick<SignalState, 'value' | 'threshold' | 'class'> & {
  readonly signal: string;
  /** The id to open it under (planned); a fresh one when absent. */
  readonly id?: string;
};

export interface IncidentChanges {
  /** Per condition to open, in order: the incident now open for it. */
  readonly opened: readonly OpenedIncident[];
  /** The incidents resolved now (none for a signal that had none open). */
  readonly resolved: readonly { readonly id: string; readonly signal: string; readonly value: number }[];
}

/**
 * Opens and resolves a host's incidents for one snapshot, in one atomic
 * step with their events (`opening` as they open, `incident.resolved` per
 * resolution). One open incident per (host, signal): opening an open one
 * returns it unchanged, so a condition that persists is not announced at
 * every poll, by any replica; each is resolved once. `position` is where the
 * deciding batch is (none when no batch decides); a superseded batch changes
 * nothing and gets a SupersededError.
 */
export async function changeIncidents(
  redis: Redis,
  host: string,
  change: {
    readonly open?: readonly Condition[];
    readonly resolve?: readonly { signal: string; value: number }[];
    readonly opening?: OpeningEvent;
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
    [keys.hostIncidents(host), keys.host(host), keys.events],
    [
      position.arrival,
      position.index,
      host,
      at.toISOString(),
      keys.incident(''),
      MAX_EVENTS,
      change.opening?.json ?? '',
      change.opening?.always ? '1' : '',
      open.length,
      ...open.flatMap((c) => [c.signal, c.id ?? newIncidentId(), String(c.value), String(c.threshold), c.class]),
      ...resolve.flatMap((r) => [r.signal, String(r.value)]),
    ],
  )) as (string | number)[] | number;
  if (!Array.isArray(reply)) throw new SupersededError(host, position.arrival);
  const opened = open.map((c, i) => {
    const status = Number(reply[2 * i + 1]);
    return { id: String(reply[2 * i]), signal: c.signal, isNew: status > 0 };
  });
  const resolved = resolve
    .map((r, i) => ({ ...r, id: String(reply[2 * open.length + i] ?? '') }))
    .filter((r) => r.id !== '');
  return { opened, resolved };
}

/** Opens one incident, with `opening` as its event if it opens now. */
export async function openIncident(
  redis: Redis,
  host: string,
  condition: Condition,
  opening: OpeningEvent,
  at: Date,
): Promise<OpenedIncident> {
  return (await changeIncidents(redis, host, { open: [condition], opening }, at)).opened[0]!;
}

/** Resolves the open incident of (host, signal), once, with its event; undefined if none was open. */
export async function resolveIncident(
  redis: Redis,
  host: string,
  signal: string,
  value: number,
  at: Date,
): Promise<string | undefined> {
  return (await changeIncidents(redis, host, { resolve: [{ signal, value }] }, at)).resolved[0]?.id;
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
