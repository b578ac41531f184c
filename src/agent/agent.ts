import { randomBytes } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import type { Config } from '../config/types.js';
import { loadPolicyAndModel } from '../io/config-files.js';
import type { Snapshot } from '../core/snapshot/schema.js';
import type { Logger } from '../log.js';
import { configuredRedis, connectRedis, sibling, type RedisConnection } from '../redis/connect.js';
import { queues } from '../redis/keys.js';
import { CloseSteps } from '../shutdown.js';
import type { AgentRun } from '../reports/schema.js';
import { ReportWriter } from '../reports/writer.js';
import { checkRole } from '../security/role.js';
import { verifierFor } from '../actions/signing.js';
import { handleActionJob, reportOrphans, type ActionJobDeps } from './action-job.js';
import { SystemCollector, type Collector } from './collector.js';
import { answerDiagnose, type DiagnoseRequest } from './diagnose-worker.js';
import { beat } from './heartbeat.js';
import { HostLease, type HostTakenError } from './host-lease.js';
import { RunRecords } from './runs.js';

export const AGENT_VERSION = '0.1.0';

/**
 * An action job's lock: renewed every half of it while the job runs. When
 * an agent dies mid-command, its job is redelivered once this lapses (and a
 * stalled check sees it), and then reported as unknown rather than re-run.
 */
const ACTION_LOCK_MS = 10_000;
const STALLED_CHECK_MS = 5_000;

export interface AgentOptions {
  /** The Redis of the bot it runs beside (`healgate start`); otherwise its own from the configuration. */
  readonly connection?: RedisConnection;
  /** What it measures; the real host by default. */
  readonly collector?: Collector;
  readonly now?: () => Date;
  readonly onResult?: (result: AgentRun, durationMs: number) => void;
  /** Another agent took this host's lease while this one stalled: it has stopped taking jobs and closed. */
  readonly onHostTaken?: (error: HostTakenError) => void;
}

export interface Agent {
  readonly host: string;
  readonly instance: string;
  /** Stops polling, lets a running action finish, then closes its queues (and Redis, if its own). */
  close(): Promise<void>;
  /** What a close in progress is still waiting on. */
  closing(): readonly string[];
}

/**
 * The host agent: polls this host every POLL_INTERVAL and reports the
 * snapshot to the bot, records its heartbeat, runs the action jobs of its
 * own host's queue and reports their results, and answers /diagnose
 * requests with a fresh snapshot. It decides nothing: approvals, incidents,
 * the audit and the events are the bot's, and this process never touches
 * them (so its Redis user may not either, see docs/security.md).
 */
export async function startAgent(config: Config, logger: Logger, options: AgentOptions = {}): Promise<Agent> {
  const now = options.now ?? (() => new Date());
  const host = config.hostId;
  const instance = `${host}-${process.pid}-${randomBytes(4).toString('hex')}`;
  const { policy } = await loadPolicyAndModel(config);
  const connection = options.connection ?? (await connectRedis(configuredRedis(config, logger)));
  const { redis } = connection;
  let lease: HostLease;
  try {
    // Beside the bot (`healgate start`) it shares the bot's connection, and so its user.
    if (!options.connection) await checkRole(redis, { kind: 'agent', host });
    lease = await HostLease.acquire(redis, host, instance, now, logger);
  } catch (err) {
    if (!options.connection) await connection.close();
    throw err;
  }
  const bull = sibling(redis);
  const actionQueue = new Queue<unknown>(queues.actions(host), { connection: bull });
  const reports = new ReportWriter(redis, host);
  const system = options.collector ? undefined : new SystemCollector(host, policy.agent);
  await system?.prime();
  const collector = options.collector ?? system!;
  let lastBeat = now().getTime();
  const push = (snapshot: Snapshot) => reports.snapshot(snapshot, lastBeat);
  const heartbeat = () =>
    beat(redis, {
      host,
      last_seen: (lastBeat = now().getTime()),
      interval_ms: config.pollIntervalMs,
      instance,
      pid: process.pid,
      version: AGENT_VERSION,
    });

  const { verifier, development } = verifierFor(config);
  if (development)
    logger.warn("checking action jobs against the published development key: set ACTION_VERIFY_KEY to the bot's");
  const deps: ActionJobDeps = {
    verifier,
    policy,
    now,
    host,
    mode: config.executionMode,
    collector,
    runs: new RunRecords(redis, host, instance),
    reports,
    logger,
    push,
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    ...(options.onResult ? { onResult: options.onResult } : {}),
  };

  await reports.announce();
  await heartbeat();
  const orphans = await reportOrphans(deps, async (key): Promise<unknown> => (await actionQueue.getJob(key))?.data);
  if (orphans > 0) logger.warn({ orphans }, 'a previous agent died during actions: reported as unknown, not re-run');

  const actionWorker = new Worker(queues.actions(host), (job) => handleActionJob(deps, job.data, job.id ?? ''), {
    connection: bull,
    concurrency: 1,
    lockDuration: ACTION_LOCK_MS,
    stalledInterval: STALLED_CHECK_MS,
    maxStalledCount: 1,
  });
  const diagnoseWorker = new Worker<DiagnoseRequest>(
    queues.diagnose(host),
    (job) => answerDiagnose(redis, host, collector, job.data, now),
    { connection: bull, concurrency: 4, skipStalledCheck: true },
  );
  for (const w of [actionWorker, diagnoseWorker])
    w.on('failed', (job, err) => logger.error({ err, queue: w.name, job: job?.id }, 'agent job failed'));

  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<void> | undefined;
  let closing = false;
  const poll = async () => {
    try {
      await heartbeat();
      await push(await collector.snapshot());
      const dns = system?.lastDns;
      if (dns?.timed_out) logger.warn({ lookups: dns.lookups }, 'DNS lookups went unanswered: counted as the timeout');
    } catch (err) {
      logger.warn({ err }, 'poll failed; next one in POLL_INTERVAL');
    }
  };
  const schedule = () => {
    if (closing) return;
    timer = setTimeout(() => {
      polling = poll().finally(schedule);
    }, config.pollIntervalMs);
  };
  polling = poll().finally(schedule);
  logger.info(
    { host, instance, interval_ms: config.pollIntervalMs, mode: config.executionMode, policy: policy.id },
    'healgate agent ready',
  );

  const steps = new CloseSteps();
  const agent: Agent = {
    host,
    instance,
    async close() {
      closing = true;
      clearTimeout(timer);
      await steps.run('agent poll', async () => polling);
      await steps.run('running action and diagnose jobs', () =>
        Promise.all([actionWorker.close(), diagnoseWorker.close()]),
      );
      await steps.run('agent queues', () => actionQueue.close());
      await steps.run('host lease', () =>
        lease.release().catch((err: unknown) => logger.warn({ err }, 'could not release the host lease')),
      );
      await steps.run('agent Redis connections', async () => {
        await bull.quit();
        if (!options.connection) await connection.close();
      });
    },
    closing: () => steps.pending(),
  };
  lease.keep((error) => {
    logger.error({ host, err: error.message }, 'another agent took this host: stopping');
    void agent.close().finally(() => options.onHostTaken?.(error));
  }, logger);
  return agent;
}
