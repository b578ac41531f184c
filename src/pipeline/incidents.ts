import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { SignalState } from '../core/decide/types.js';
import { keys } from '../redis/keys.js';
import { LuaScript } from '../redis/lua.js';

export interface OpenedIncident {
  readonly id: string;
  readonly signal: string;
  readonly isNew: boolean;
}

/**
 * One open incident per (host, signal): opening an open one returns it
 * unchanged, so a condition that persists is not announced at every poll,
 * by any replica.
 */
export async function openIncident(
  redis: Redis,
  host: string,
  condition: Pick<SignalState, 'value' | 'threshold' | 'class'> & { readonly signal: string },
  at: Date,
): Promise<OpenedIncident> {
  const id = `inc-${randomBytes(8).toString('hex')}`;
  const reply = (await (
    await LuaScript.load('incident-open')
  ).run(
    redis,
    [keys.hostIncidents(host), keys.incident(id)],
    [
      condition.signal,
      id,
      ...['id', id, 'host', host, 'signal', condition.signal, 'status', 'open', 'opened_at', at.toISOString()],
      ...['value', String(condition.value), 'threshold', String(condition.threshold), 'class', condition.class],
    ],
  )) as [string, number];
  return { id: reply[0], signal: condition.signal, isNew: reply[1] === 1 };
}

/** Resolves the open incident of (host, signal), once; undefined if none was open. */
export async function resolveIncident(
  redis: Redis,
  host: string,
  signal: string,
  value: number,
  at: Date,
): Promise<string | undefined> {
  const id = await (
    await LuaScript.load('incident-resolve')
  ).run(redis, [keys.hostIncidents(host)], [signal, at.toISOString(), String(value), keys.incident('')]);
  return typeof id === 'string' ? id : undefined;
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
