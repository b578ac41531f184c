import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Principal } from '../core/policy/approvers.js';
import { hostSchema } from '../core/snapshot/schema.js';
import { keys } from '../redis/keys.js';

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

export async function storeFirewallRequest(
  redis: Redis,
  input: FirewallRequestInput,
  at: Date,
): Promise<FirewallRequest> {
  const request: FirewallRequest = {
    ...input,
    id: `fw-${randomBytes(6).toString('hex')}`,
    received_at: at.toISOString(),
  };
  await redis.rpush(keys.firewallRequests(input.host), JSON.stringify(request));
  return request;
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
