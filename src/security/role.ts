import type { Redis } from 'ioredis';
import { RedisSetupError } from '../redis/errors.js';
import { AGENT_USER_PREFIX, agentUser, BOT_USER } from './acl.js';

export type Role = { readonly kind: 'bot' } | { readonly kind: 'agent'; readonly host: string };

/**
 * Refuses to run with another role's Redis user (see `healgate acl`): a bot
 * logged in as an agent would fail on its first approval, and an agent with
 * the bot's password would hold far more than a host should. Any other user
 * (`default` without ACLs, one of the operator's own) is the operator's call.
 */
export async function checkRole(redis: Redis, role: Role): Promise<void> {
  const user = await whoami(redis);
  if (user === undefined) return;
  if (role.kind === 'bot' && user.startsWith(AGENT_USER_PREFIX))
    throw new RedisSetupError(
      `REDIS_URL logs in as ${user}, an agent's Redis user: the bot must run as ${BOT_USER}, which may write approvals, incidents and the audit`,
    );
  if (role.kind === 'agent' && user === BOT_USER)
    throw new RedisSetupError(
      `REDIS_URL logs in as ${BOT_USER}: an agent must not hold the bot's password; run it as ${agentUser(role.host)}, which reaches only its own host's keys`,
    );
  if (role.kind === 'agent' && user.startsWith(AGENT_USER_PREFIX) && user !== agentUser(role.host))
    throw new RedisSetupError(
      `REDIS_URL logs in as ${user}, another host's Redis user: HOST_ID=${role.host} needs ${agentUser(role.host)}`,
    );
}

/** Undefined where Redis has no ACLs (before 6) or the user may not ask. */
async function whoami(redis: Redis): Promise<string | undefined> {
  try {
    const user: unknown = await redis.call('ACL', 'WHOAMI');
    return typeof user === 'string' ? user : undefined;
  } catch {
    return undefined;
  }
}
