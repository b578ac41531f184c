import { createHash } from 'node:crypto';
import { HOST_PATTERN } from '../core/snapshot/schema.js';
import { keys, queues } from '../redis/keys.js';

export const BOT_USER = 'healgate-bot';
export const AGENT_USER_PREFIX = 'healgate-agent-';
export const agentUser = (host: string) => `${AGENT_USER_PREFIX}${host}`;

/** Shorter passwords are guessable at Redis's speed: the file is refused rather than weakened. */
export const MIN_PASSWORD_LENGTH = 16;

export interface AclAccount {
  /** `bot`, or the host an agent runs as. */
  readonly name: string;
  readonly password: string;
}

export type ParsedAccounts = { ok: true; accounts: AclAccount[] } | { ok: false; errors: string[] };

/**
 * The passwords file: one `bot <password>` line and one `<host> <password>`
 * line per host; blank lines and `#` comments are ignored. Every bad line is
 * reported, by number, and nothing is printed from a file with one.
 */
export function parseAccounts(text: string): ParsedAccounts {
  const errors: string[] = [];
  const accounts: AclAccount[] = [];
  const seen = new Set<string>();
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const at = `line ${i + 1}`;
    const fields = line.split(/\s+/);
    const [name, password] = fields;
    if (fields.length !== 2 || !name || !password) {
      errors.push(`${at}: expected "<bot|host> <password>" (two fields, the password without spaces)`);
      continue;
    }
    if (name !== 'bot' && !HOST_PATTERN.test(name)) {
      errors.push(`${at}: "${name}" is neither bot nor a host name matching ${HOST_PATTERN.source}`);
      continue;
    }
    if (password.length < MIN_PASSWORD_LENGTH)
      errors.push(`${at}: the password of ${name} is shorter than ${MIN_PASSWORD_LENGTH} characters`);
    if (seen.has(name)) errors.push(`${at}: ${name} is listed twice`);
    seen.add(name);
    accounts.push({ name, password });
  }
  if (!seen.has('bot')) errors.push('no "bot <password>" line: the bot needs a user too');
  return errors.length > 0 ? { ok: false, errors } : { ok: true, accounts };
}

const hashed = (password: string) => `#${createHash('sha256').update(password).digest('hex')}`;

/**
 * What one agent may run: data commands of the kinds its work uses, Lua
 * (BullMQ's worker scripts and healgate's lease and run scripts, which Redis 7
 * checks against these same key patterns), blocking pops for the worker,
 * and nothing keyless that reaches beyond its keys (SCAN, KEYS, FLUSHALL,
 * CONFIG, SCRIPT, CLIENT LIST, pub/sub).
 */
const AGENT_COMMANDS = [
  '-@all',
  '+@read',
  '+@write',
  '+@stream',
  '+@hash',
  '+@set',
  '+@list',
  '+@sortedset',
  '+@string',
  '+@scripting',
  '+@transaction',
  '+@connection',
  '+@blocking',
  '-@dangerous',
  '-@admin',
  '-@pubsub',
  '-script',
  '-scan',
  '-randomkey',
  '-move',
  '-copy',
  // ioredis' ready check and BullMQ's version check read INFO; the role check reads ACL WHOAMI.
  '+info',
  '+acl|whoami',
];

/** One agent: its own keys and queues, and two shared keys it may only add its name to. */
export function agentRules(host: string): string {
  const own = [
    `~${keys.agent(host)}`,
    `~${keys.agent(host)}:*`,
    `~bull:${queues.actions(host)}:*`,
    `~bull:${queues.diagnose(host)}:*`,
  ];
  const announce = [`(%W~${keys.reporters} +sadd)`, `(%W~${keys.reportersAnnounce} +xadd)`];
  return ['resetchannels', ...own, ...AGENT_COMMANDS, ...announce].join(' ');
}

/** The bot reads and writes every healgate key, and still runs nothing that could wipe or reconfigure Redis. */
export const BOT_RULES = 'resetchannels ~* +@all -@dangerous +info';

/**
 * The default user: off, so no client logs in as it (every client names its
 * user), yet allowed everything, because Redis replays the append-only file
 * as this user and re-checks its permissions at each EXEC; a default user
 * allowed nothing silently drops every transaction and every multi-write
 * script on restart (redis/redis#14541, fixed after 7.x): BullMQ's jobs,
 * approvals, the audit.
 */
export const DEFAULT_USER_RULES = 'off resetpass ~* &* +@all';

/**
 * A Redis ACL file (for `redis-server --aclfile`): the default user off (every
 * client names its user), a user for the bot and one per host, each with its
 * password stored as a SHA-256 hash.
 */
export function aclFile(accounts: readonly AclAccount[]): string {
  // An ACL file has no comments: every line is a user.
  const lines = [`user default ${DEFAULT_USER_RULES}`];
  for (const { name, password } of accounts) {
    const rules = name === 'bot' ? BOT_RULES : agentRules(name);
    lines.push(`user ${name === 'bot' ? BOT_USER : agentUser(name)} on ${hashed(password)} ${rules}`);
  }
  return `${lines.join('\n')}\n`;
}
