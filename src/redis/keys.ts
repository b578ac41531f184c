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
  /** The day's trend, downsampled: the latest point of each bucket, scored by bucket. */
  historyDay: (host: string) => `${P}:host:${host}:day`,
  hostIncidents: (host: string) => `${P}:host:${host}:incidents`,
  incident: (id: string) => `${P}:incident:${id}`,
  autoHeals: (host: string) => `${P}:host:${host}:autoheals`,
  /** Auto-heals in flight fleet-wide: zset of `host|job key` -> counts until (ms); see autoHealingMember. */
  autoHealing: `${P}:autoheal:inflight`,
  /** Hash marking a tripped breaker announced, for an hour. */
  breakerAnnounced: (scope: string) => `${P}:breaker:${scope}:announced`,
  firewallRequests: (host: string) => `${P}:host:${host}:firewall`,
  /** The first firewall request made with an idempotency key (by its hash): hash of fingerprint, request. */
  firewallIdempotency: (keyHash: string) => `${P}:firewall:idem:${keyHash}`,
  /** Whether an HTTP ingest batch counts (see ingest-commit.lua). */
  ingestCommit: (token: string) => `${P}:ingest:commit:${token}`,
  approval: (id: string) => `${P}:approval:${id}`,
  approvalsPending: `${P}:approvals:pending`,
  approvalsToEnqueue: `${P}:approvals:to-enqueue`,
  alertSeen: (fingerprint: string, status: string, startsAt: string) => `${P}:am:${fingerprint}:${status}:${startsAt}`,
  /** Firing alerts' claims on a host's signals: hash fingerprint -> `starts ms|claim JSON` (see alerts-apply.lua). */
  hostAlerts: (host: string) => `${P}:host:${host}:alerts`,
  /** Set while an ignored or misread alert's (reason, alertname) has been told lately. */
  alertNoted: (reason: string, alertname: string) => `${P}:am:noted:${reason}:${alertname}`,
  enqueued: (jobKey: string) => `${P}:enqueued:${jobKey}`,
  stats: `${P}:stats`,
  /** Storm groups: `group:<id>` its description, `group:<id>:members`, `group:of:<subject>`, `group:open:<kind>`. */
  groupPrefix: `${P}:group:`,
  group: (id: string) => `${P}:group:${id}`,
  groupMembers: (id: string) => `${P}:group:${id}:members`,
  groupOf: (subject: string) => `${P}:group:of:${subject}`,
  groupOpen: (kind: string) => `${P}:group:open:${kind}`,
  events: `${P}:events`,
  notifierLease: `${P}:notifier:lease`,
  /** Held by the one replica acting on new incidents from their events. */
  followUpLease: `${P}:follow-up:lease`,
  /** Held by the one replica appending the events' audit entries. */
  auditRecorderLease: `${P}:audit-recorder:lease`,
  /** What the notifier composed from the events, for each chat adapter to deliver on its own. */
  notifications: `${P}:notifications`,
  /** Held by the one replica delivering to this adapter. */
  deliveryLease: (adapter: string) => `${P}:notifier:lease:${adapter}`,
  /** Where a chat platform showed a subject (`incident:<id>`, `approval:<id>`). */
  chatRef: (platform: string, subject: string) => `${P}:chat:${platform}:ref:${subject}`,
  chatClaim: (platform: string, what: string) => `${P}:chat:${platform}:claim:${what}`,
  /** Hash: principal id (`slack:U1`) → the name the person last acted under. */
  chatNames: `${P}:chat:names`,
  /** An agent's liveness: hash of last_seen (ms), interval_ms, pid, version. */
  agent: (host: string) => `${P}:agent:${host}`,
  /** Held by the one agent running as this host (see src/agent/host-lease.ts). */
  agentLease: (host: string) => `${P}:agent:${host}:lease`,
  /** Every agent by its last heartbeat (ms). */
  agents: `${P}:agents`,
  /**
   * One execution of an action job, by its idempotency key: state, instance, result.
   * Everything an agent writes is under `healgate:agent:<host>:`, so one ACL
   * key pattern per host covers it (see src/security/acl.ts).
   */
  run: (host: string, jobKey: string) => `${P}:agent:${host}:run:${jobKey}`,
  /** Keys of the runs an agent of this host started and has not finished. */
  runsActive: (host: string) => `${P}:agent:${host}:runs`,
  /** Where an agent puts the fresh snapshot a /diagnose asked for. */
  diagnoseReply: (host: string, requestId: string) => `${P}:agent:${host}:diagnose:${requestId}`,
  /** An agent's snapshots (with its heartbeat time), for the bot to ingest: a stream per host. */
  agentSnapshots: (host: string) => `${P}:agent:${host}:snapshots`,
  /** An agent's action results, for the bot to audit, announce and escalate: a stream per host. */
  agentReports: (host: string) => `${P}:agent:${host}:reports`,
  /** Hosts whose agents write report streams: how the bot finds them (agents may only SADD here). */
  reporters: `${P}:agents:reporting`,
  /** A starting agent's hello (its host name), so that a bot replica reads its streams at once (XADD only). */
  reportersAnnounce: `${P}:agents:announce`,
  /** A console sign-in session (OpenID Connect), by the SHA-256 of its cookie. */
  consoleSession: (hash: string) => `${P}:console:session:${hash}`,
  /** A console sign-in on its way through the provider: its PKCE verifier, by state. */
  consoleLogin: (state: string) => `${P}:console:login:${state}`,
  /** The bot's progress on one report (published, done), so a redelivery does nothing twice. */
  report: (host: string, reportId: string) => `${P}:report:${host}:${reportId}`,
} as const;

/** BullMQ queue names (BullMQ adds its own `bull:` prefix). */
export const queues = {
  ingest: 'healgate-ingest',
  approvals: 'healgate-approvals',
  /** Deadlines by which an agent must take an auto-heal's job (see src/pipeline/pickup.ts). */
  pickup: 'healgate-pickup',
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
