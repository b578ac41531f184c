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

const CODES = { reserved: 1, already: 2, nothing: 0, host: -1, fleet: -2 } as const;

type Reply = [code: number, fleet: number, inHour: number];

function timeoutOf(policy: Policy, action: string): number {
  return policy.actions[action]?.timeout ?? 0;
}

function slotArgs(policy: Policy, host: string, jobs: readonly SlotRequest[], now: number, perHost: boolean) {
  const { max_hosts_auto_healing: maxHosts, max_auto_heals_per_host_per_hour: maxPerHost } = policy.breakers;
  const args: (string | number)[] = [host, now, now - HOUR_MS, now - DAY_MS, maxHosts, perHost ? maxPerHost : 0];
  args.push(jobs.length);
  for (const job of jobs) args.push(job.key, job.action, now + timeoutOf(policy, job.action) + SLOT_MARGIN_MS);
  return args;
}

/** Takes the breaker slots for one host's auto-heal jobs (breaker-reserve.lua), all or none. */
export async function reserveSlots(
  redis: Redis,
  policy: Policy,
  host: string,
  jobs: readonly SlotRequest[],
  now: number,
): Promise<Reservation> {
  const script = await LuaScript.load('breaker-reserve');
  const args = slotArgs(policy, host, jobs, now, true);
  const [code, fleet, inHour] = (await script.run(redis, [keys.autoHealing, keys.autoHeals(host)], args)) as Reply;
  const { max_hosts_auto_healing: maxHosts, max_auto_heals_per_host_per_hour: maxPerHost } = policy.breakers;
  if (code === CODES.reserved || code === CODES.already)
    return { ok: true, fleet, host: inHour, again: code === CODES.already };
  if (code === CODES.host)
    return { ok: false, hold: { scope: 'host', host, count: inHour, max: maxPerHost, asked: jobs.length } };
  if (code === CODES.fleet)
    return { ok: false, hold: { scope: 'fleet', host, count: fleet, max: maxHosts, asked: jobs.length } };
  throw new Error(`breaker-reserve answered an unknown code ${String(code)}`);
}

/**
 * May an approved request of only safe actions run now? It takes a fleet
 * slot like an auto-heal (a human's decision is not an auto-heal for the
 * hourly limit), so a bulk approval runs in waves; 'wait' while the fleet is
 * full, 'done' when its job was enqueued already.
 */
export async function takeApprovalSlot(
  redis: Redis,
  policy: Policy,
  approval: { readonly id: string; readonly host: string; readonly actions: readonly { readonly id: string }[] },
  now: number,
): Promise<'run' | 'wait' | 'done'> {
  // The slot lasts as long as the slowest of its actions may.
  const slowest = approval.actions.reduce((a, b) => (timeoutOf(policy, b.id) > timeoutOf(policy, a.id) ? b : a));
  const script = await LuaScript.load('breaker-reserve');
  const args = slotArgs(policy, approval.host, [{ key: approval.id, action: slowest.id }], now, false);
  const fleetKeys = [
    keys.autoHealing,
    keys.autoHeals(approval.host),
    keys.approval(approval.id),
    keys.approvalsToEnqueue,
  ];
  const [code] = (await script.run(redis, fleetKeys, args)) as Reply;
  if (code === CODES.nothing) return 'done';
  return code === CODES.reserved || code === CODES.already ? 'run' : 'wait';
}

/** Gives a slot back: the job's result arrived. */
export async function freeSlot(redis: Redis, host: string, key: string): Promise<void> {
  await redis.zrem(keys.autoHealing, autoHealingMember(host, key));
}

/** Takes back a reservation whose jobs will never exist (its incidents were not opened): slot and record. */
export async function cancelSlots(redis: Redis, host: string, jobs: readonly SlotRequest[]): Promise<void> {
  if (jobs.length === 0) return;
  await redis
    .multi()
    .zrem(keys.autoHealing, ...jobs.map((j) => autoHealingMember(host, j.key)))
    .zrem(keys.autoHeals(host), ...jobs.map((j) => `${j.action}|${j.key}`))
    .exec();
}
