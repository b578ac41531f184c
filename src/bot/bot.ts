import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Queue, type Worker } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { approvalParts } from '../approvals/assembly.js';
import { startExpiryWorker } from '../approvals/expiry.js';
import { adapterFactories } from '../../adapters/index.js';
import { LogAdapter } from '../chat/log-adapter.js';
import { Notifier } from '../chat/notifier.js';
import type { AdapterFactory, ChatAdapter } from '../chat/port.js';
import { createChatServices, type ChatServices } from '../chat/services.js';
import { LivenessWatch } from '../agent/liveness.js';
import { AgentProbe } from '../diagnose/agent-probe.js';
import { DIAGNOSE_TIMEOUT_MS, DiagnoseService } from '../diagnose/service.js';
import type { ApprovalService } from '../approvals/service.js';
import type { Config } from '../config/types.js';
import type { Decision } from '../core/decide/types.js';
import { buildServer } from '../http/server.js';
import { loadPolicyAndModel } from '../io/config-files.js';
import type { Logger } from '../log.js';
import { createMetrics } from '../metrics.js';
import { Ingest, type IngestJob } from '../pipeline/ingest.js';
import { startDecisionWorker } from '../pipeline/worker.js';
import { RedisClock } from '../redis/clock.js';
import { connectRedis, type RedisConnection } from '../redis/connect.js';
import { keys, queues } from '../redis/keys.js';

export interface Bot {
  readonly app: FastifyInstance;
  readonly url: string;
  readonly approvals: ApprovalService;
  /** What chat adapters call; tests and embedders use it as a platform would. */
  readonly chat: ChatServices;
  readonly connection: RedisConnection;
  /** Observes an action's run time in this process's /metrics (an agent running beside the bot reports here). */
  observeAction(action: string, outcome: string, seconds: number): void;
  /** Stops taking requests, lets in-flight jobs finish, then closes Redis. */
  close(): Promise<void>;
}

export interface BotOptions {
  readonly now?: () => Date;
  /** Called with every decision this replica makes (benchmarks, embedding). */
  readonly onDecision?: (decision: Decision) => void;
  /** Chat platforms to offer; those configured become adapters beside the log. Default: `adapters/index.ts`. */
  readonly adapterFactories?: readonly AdapterFactory[];
  /** How often agents' heartbeats are checked (default 5 s). */
  readonly livenessCheckMs?: number;
}

/** Assembles and starts the bot: Redis, queues, workers and the HTTP API. */
export async function startBot(config: Config, logger: Logger, options: BotOptions = {}): Promise<Bot> {
  const now = options.now ?? (() => new Date());
  const { policy, classifier } = await loadPolicyAndModel(config);
  const connection = await connectRedis({
    ...(config.redisUrl ? { url: config.redisUrl } : {}),
    dataDir: config.redisDataDir,
    logger,
  });
  const { redis } = connection;

  // BullMQ loads its scripts onto the connection it is given, and ioredis then
  // copies them into every MULTI on it: queues get their own connections, and
  // ingest one of its own so that a 202 never waits behind the workers.
  const bull = redis.duplicate();
  const ingestConnection = redis.duplicate();
  const parts = approvalParts(redis, bull, policy, config.approvers, now);
  const { audit, events, actions, approvals } = parts;
  const ingestQueue = new Queue<IngestJob>(queues.ingest, { connection: ingestConnection });
  const metrics = createMetrics({
    ingestDepth: () => ingestQueue.count(),
    pendingApprovals: () => redis.zcard(keys.approvalsPending),
    actionDepths: () => actions.depths(),
  });
  const clock = new RedisClock(redis);
  await clock.start();
  const ingest = new Ingest(ingestQueue, ingestConnection, clock, { maxBatch: 500, lingerMs: 2 }, now);

  const workers: Worker[] = [
    startDecisionWorker(
      {
        redis,
        classifier,
        policy,
        approvals,
        actions,
        audit,
        events,
        executionMode: config.executionMode,
        logger,
        now,
        onDecision: (d) => {
          metrics.decisions.inc({ decision: d.decision });
          options.onDecision?.(d);
        },
      },
      bull,
    ),
    startExpiryWorker(approvals, bull),
  ];
  for (const w of workers)
    w.on('failed', (job, err) => logger.error({ err, queue: w.name, job: job?.id }, 'job failed'));
  const probe = new AgentProbe(redis, bull, policy.agent.heartbeat_multiple, now);
  const diagnoser = new DiagnoseService({ redis, classifier, policy, now, probe, timeoutMs: DIAGNOSE_TIMEOUT_MS });
  const chat = createChatServices({
    redis,
    approvals,
    diagnoser,
    audit,
    policy,
    executionMode: config.executionMode,
    now,
  });
  const adapters: ChatAdapter[] = [new LogAdapter(logger)];
  for (const factory of options.adapterFactories ?? adapterFactories) {
    const adapter = factory.create({ config, services: chat, logger: logger.child({ adapter: factory.name }), redis });
    if (adapter) adapters.push(adapter);
  }
  const notifier = new Notifier(
    redis,
    adapters,
    {
      consumer: `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
      windowMs: 1500,
      digestFrom: 5,
      claimIdleMs: 60_000,
      pruneIdleMs: 86_400_000,
    },
    logger,
  );
  const recovered = await approvals.recover();
  if (recovered > 0) logger.warn({ recovered }, 'enqueued action jobs of approvals interrupted by a crash');

  const app = buildServer({
    redis,
    clock,
    ingest,
    audit,
    policy,
    classifier,
    metrics,
    logger,
    ingestToken: config.ingestToken,
    workersRunning: () => workers.every((w) => w.isRunning()),
    now,
    plugins: adapters.flatMap((a) => (a.routes ? [a.routes] : [])),
  });
  const liveness = new LivenessWatch(
    { redis, audit, events, heartbeatMultiple: policy.agent.heartbeat_multiple, now, logger },
    options.livenessCheckMs ?? 5000,
  );
  const close = async () => {
    await app.close();
    clock.close();
    await liveness.close();
    await Promise.all(workers.map((w) => w.close()));
    await notifier.close();
    for (const adapter of adapters) await adapter.close?.();
    await Promise.all([ingestQueue.close(), parts.close(), probe.close()]);
    await Promise.all([bull.quit(), ingestConnection.quit()]);
    await connection.close();
  };
  const url = await app.listen({ host: config.httpHost, port: config.httpPort });
  try {
    for (const adapter of adapters) await adapter.start?.();
  } catch (err) {
    // A platform that cannot connect (bad token, wrong URL) stops the start: nothing is left running.
    await close();
    throw err;
  }
  await notifier.start();
  liveness.start();
  logger.info(
    { url, redis: connection.url, policy: policy.id, model: classifier.version, mode: config.executionMode },
    'healgate bot ready',
  );

  return {
    app,
    url,
    approvals,
    chat,
    connection,
    observeAction(action, outcome, seconds) {
      metrics.actionDuration.observe({ action, outcome }, seconds);
    },
    close,
  };
}
