import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Principal } from '../core/policy/approvers.js';
import { hostSchema } from '../core/snapshot/schema.js';
import { keys } from '../redis/keys.js';
import { LuaScript } from '../redis/lua.js';

/** The signal a firewall change request sets; its requests are handled apart from incidents. */
export const FIREWALL_SIGNAL = 'firewall_change_requested';

const REQUESTER = /^(?:(slack|discord|console|api):)?([A-Za-z0-9._@-]{1,64})$/;

export const firewallRequestSchema = z.strictObject({
  host: hostSchema,
  action: z.enum(['open', 'close']),
  port: z.number().int().min(1).max(65535),
  protocol: z.enum(['tcp', 'udp']),
  reason: z.string().trim().min(1).max(500),
  requested_by: z.string().regex(REQUESTER, { error: 'expected platform:userId (slack:U123) or a user name' }),
});

export type FirewallRequestInput = z.infer<typeof firewallRequestSchema>;

export interface FirewallRequest extends FirewallRequestInput {
  readonly id: string;
  readonly received_at: string;
}

/** `slack:U123` as a Slack principal; a bare name as an API user. */
export function requesterOf(requestedBy: string): Principal {
  const m = REQUESTER.exec(requestedBy);
  const platform = (m?.[1] ?? 'api') as Principal['platform'];
  return { platform, userId: m?.[2] ?? requestedBy };
}

/** The policy parameters of firewall_port_change for this request. */
export function firewallParams(r: FirewallRequestInput): Record<string, string | number> {
  return { rule: r.action === 'open' ? 'allow' : 'deny', port: r.port, protocol: r.protocol };
}

/**
 * `Idempotency-Key`: what a client sends again with a retried request.
 * Printable ASCII, as in the IETF draft's examples (UUIDs, ULIDs).
 */
export const idempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, { error: 'Idempotency-Key: 1 to 255 printable ASCII characters, no spaces' });

/** An explicit key is remembered this long; one derived from the content for the policy's approval timeout. */
export const IDEMPOTENCY_KEY_TTL_MS = 86_400_000;

export interface IdempotencyKey {
  readonly value: string;
  readonly ttlMs: number;
}

/**
 * The client's key, or one derived from what the request asks for: the
 * same change asked for again while its approval can still be pending is
 * the same request.
 */
export function idempotencyKeyOf(
  header: string | undefined,
  input: FirewallRequestInput,
  approvalTimeoutMs: number,
): IdempotencyKey {
  return header !== undefined
    ? { value: `key:${header}`, ttlMs: IDEMPOTENCY_KEY_TTL_MS }
    : { value: `content:${fingerprintOf(input)}`, ttlMs: approvalTimeoutMs };
}

function fingerprintOf(input: FirewallRequestInput): string {
  const { host, action, port, protocol, reason, requested_by } = input;
  return sha256(JSON.stringify([host, action, port, protocol, reason, requested_by]));
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export type StoreOutcome =
  | { readonly kind: 'stored' | 'duplicate'; readonly request: FirewallRequest }
  /** The key was used before for a different request. */
  | { readonly kind: 'conflict'; readonly request: FirewallRequest }
  /** Redis ran the write after `deadlineMs`: nothing was stored. */
  | { readonly kind: 'late' };

/** Stores a request unless its key was used before or Redis runs it after `deadlineMs` (Redis's clock). */
export async function storeFirewallRequest(
  redis: Redis,
  input: FirewallRequestInput,
  at: Date,
  idempotency: IdempotencyKey,
  deadlineMs: number,
): Promise<StoreOutcome> {
  const request: FirewallRequest = {
    ...input,
    id: `fw-${randomBytes(6).toString('hex')}`,
    received_at: at.toISOString(),
  };
  const reply = (await (
    await LuaScript.load('firewall-request')
  ).run(
    redis,
    [keys.firewallIdempotency(sha256(idempotency.value)), keys.firewallRequests(input.host)],
    [deadlineMs, JSON.stringify(request), fingerprintOf(input), Math.ceil(idempotency.ttlMs / 1000)],
  )) as [string, string?];
  const [kind, raw] = reply;
  if (kind === 'late') return { kind };
  if (kind !== 'stored' && kind !== 'duplicate' && kind !== 'conflict')
    throw new Error(`firewall-request.lua: unexpected reply ${kind}`);
  return { kind, request: parseFirewallRequest(raw ?? '') };
}

/**
 * A pending request is removed with `doneWithFirewallRequest` only after its
 * approval exists; the approval id derives from the request id, so a retry
 * after a crash neither loses nor duplicates it.
 */
export function parseFirewallRequest(raw: string): FirewallRequest {
  return JSON.parse(raw) as FirewallRequest;
}

export async function doneWithFirewallRequest(redis: Redis, host: string, raw: string): Promise<void> {
  await redis.lrem(keys.firewallRequests(host), 1, raw);
}
