import type { Redis } from 'ioredis';
import type { BreakerHold } from '../core/decide/guards.js';
import type { Policy } from '../core/policy/policy.js';
import { autoHealingMember, keys } from '../redis/keys.js';
import { LuaScript } from '../redis/lua.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** A slot counts until its action's timeout plus this margin has passed, even if no result ever comes. */
export const SLOT_MARGIN_MS = 60_000;

export interface SlotRequest {
  /** The job's idempotency key: `<incident>.<action>` for an auto-heal, the approval id for an approval. */
  readonly key: string;
  readonly action: string;
}

export type Reservation =
  | { readonly ok: true; readonly fleet: number; readonly host: number; readonly again: boolean }
  | { readonly ok: false; readonly hold: BreakerHold };

const CODES = { reserved: 1, already: 2, host: -1, fleet: -2 } as const;

/**
 * Takes the breaker slots for one host's jobs (breaker-reserve.lua), all or
 * none. `perHost` false is for an approved action: a human's decision is not
 * an auto-heal for the hourly limit, but it still runs within the fleet's.
 */
export async function reserveSlots(
  redis: Redis,
  policy: Policy,
  host: string,
  jobs: readonly SlotRequest[],
  now: number,
  perHost = true,
): Promise<Reservation> {
  const { max_hosts_auto_healing: maxHosts, max_auto_heals_per_host_per_hour: maxPerHost } = policy.breakers;
  const args: (string | number)[] = [host, now, now - HOUR_MS, now - DAY_MS, maxHosts, perHost ? maxPerHost : 0];
  args.push(jobs.length);
  for (const job of jobs)
    args.push(job.key, job.action, now + (policy.actions[job.action]?.timeout ?? 0) + SLOT_MARGIN_MS);
  const script = await LuaScript.load('breaker-reserve');
  const [code, fleet, inHour] = (await script.run(redis, [keys.autoHealing, keys.autoHeals(host)], args)) as [
    number,
    number,
    number,
  ];
  if (code === CODES.reserved || code === CODES.already)
    return { ok: true, fleet, host: inHour, again: code === CODES.already };
  if (code === CODES.host)
    return { ok: false, hold: { scope: 'host', host, count: inHour, max: maxPerHost, asked: jobs.length } };
  if (code === CODES.fleet)
    return { ok: false, hold: { scope: 'fleet', host, count: fleet, max: maxHosts, asked: jobs.length } };
  throw new Error(`breaker-reserve answered an unknown code ${String(code)}`);
}

/** Gives a slot back: the job's result arrived, or the job was withdrawn. */
export async function releaseSlot(redis: Redis, host: string, key: string): Promise<void> {
  await redis.zrem(keys.autoHealing, autoHealingMember(host, key));
}
