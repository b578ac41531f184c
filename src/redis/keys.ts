/**
 * Every Redis key healgate owns, in one place. All start with `healgate:` so
 * that a shared Redis stays readable and `--scan --pattern 'healgate:*'`
 * finds them all.
 */
const P = 'healgate';

export const keys = {
  hosts: `${P}:hosts`,
  host: (host: string) => `${P}:host:${host}`,
  /** Trend points, zset scored by arrival (see host-state-write.lua). */
  history: (host: string) => `${P}:host:${host}:trend`,
  hostIncidents: (host: string) => `${P}:host:${host}:incidents`,
  incident: (id: string) => `${P}:incident:${id}`,
  autoHeals: (host: string) => `${P}:host:${host}:autoheals`,
  /** Auto-heals in flight fleet-wide: zset of `host|job key` -> counts until (ms); see autoHealingMember. */
  autoHealing: `${P}:autoheal:inflight`,
  breakerAnnounced: (scope: string) => `${P}:breaker:${scope}`,
  firewallRequests: (host: string) => `${P}:host:${host}:firewall`,
  /** The first firewall request made with an idempotency key (by its hash): hash of fingerprint, request. */
  firewallIdempotency: (keyHash: string) => `${P}:firewall:idem:${keyHash}`,
  /** Whether an HTTP ingest batch counts (see ingest-commit.lua). */
  ingestCommit: (token: string) => `${P}:ingest:commit:${token}`,
  approval: (id: string) => `${P}:approval:${id}`,
  approvalsPending: `${P}:approvals:pending`,
  approvalsToEnqueue: `${P}:approvals:to-enqueue`,
  alertSeen: (fingerprint: string, status: string, startsAt: string) => `${P}:am:${fingerprint}:${status}:${startsAt}`,
  enqueued: (jobKey: string) => `${P}:enqueued:${jobKey}`,
  stats: `${P}:stats`,
  events: `${P}:events`,
  notifierLease: `${P}:notifier:lease`,
  /** Where a chat platform showed a subject (`incident:<id>`, `approval:<id>`). */
  chatRef: (platform: string, subject: string) => `${P}:chat:${platform}:ref:${subject}`,
  chatClaim: (platform: string, what: string) => `${P}:chat:${platform}:claim:${what}`,
  /** An agent's liveness: hash of last_seen (ms), interval_ms, pid, version. */
  agent: (host: string) => `${P}:agent:${host}`,
  /** Held by the one agent running as this host (see src/agent/host-lease.ts). */
  agentLease: (host: string) => `${P}:agent:${host}:lease`,
  /** Every agent by its last heartbeat (ms). */
  agents: `${P}:agents`,
  /** One execution of an action job, by its idempotency key: state, instance, result. */
  run: (jobKey: string) => `${P}:run:${jobKey}`,
  /** Keys of the runs an agent of this host started and has not finished. */
  runsActive: (host: string) => `${P}:host:${host}:runs`,
  /** Where an agent puts the fresh snapshot a /diagnose asked for. */
  diagnoseReply: (requestId: string) => `${P}:diagnose:${requestId}`,
} as const;

/** BullMQ queue names (BullMQ adds its own `bull:` prefix). */
export const queues = {
  ingest: 'healgate-ingest',
  approvals: 'healgate-approvals',
  /** One queue per host: an agent consumes only its own. */
  actions: (host: string) => `healgate-actions-${host}`,
  /** Fresh-snapshot requests from /diagnose: their own queue, so a slow action never delays them. */
  diagnose: (host: string) => `healgate-diagnose-${host}`,
} as const;

/**
 * One in-flight auto-heal in `keys.autoHealing`: per job, so that a host
 * healing two conditions at once still counts as healing until both have
 * reported. Host names cannot hold `|`.
 */
export const autoHealingMember = (host: string, jobKey: string) => `${host}|${jobKey}`;
export const hostOfAutoHealing = (member: string) => member.split('|', 1)[0]!;
