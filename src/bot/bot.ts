import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Queue, type Worker } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { approvalParts } from '../approvals/assembly.js';
import { startExpiryWorker } from '../approvals/expiry.js';
import { adapterFactories } from '../../adapters/index.js';
import { LogAdapter } from '../chat/log-adapter.js';
import { AdapterDelivery } from '../chat/delivery.js';
import { Notifier } from '../chat/notifier.js';
import { GroupBook } from '../groups/book.js';
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
import { AuditRecorder } from '../audit/recorder.js';
import { EventMetrics } from './event-metrics.js';
import { RedisGauges } from './redis-gauges.js';
import { Ingest, type IngestJob } from '../pipeline/ingest.js';
import type { PipelineDeps } from '../pipeline/deps.js';
import { FollowUp } from '../pipeline/follow-up.js';
import { PickupDeadlines, startPickupWorker } from '../pipeline/pickup.js';
import { reportHandlers } from '../pipeline/reports.js';
import { startDecisionWorker } from '../pipeline/worker.js';
import { RedisClock } from '../redis/clock.js';
import { configuredRedis, connectRedis, sibling, type RedisConnection } from '../redis/connect.js';
import { queues } from '../redis/keys.js';
import { ReportConsumer } from '../reports/consumer.js';
import { checkRole } from '../security/role.js';
import { signerFor } from '../actions/signing.js';
import { CloseSteps } from '../shutdown.js';

const RELEASE_EVERY_MS = 1000;
const DAY_MS = 86_400_000;

export interface Bot {
  readonly app: FastifyInstance;
  readonly url: string;
  readonly approvals: ApprovalService;
  /** What chat adapters call; tests and embedders use it as a platform would. */
  readonly chat: ChatServices;
  readonly connection: RedisConnection;
  /** Stops taking requests, lets in-flight jobs finish, then closes Redis. */
  close(): Promise<void>;
  /** What a close in progress is still waiting on. */
  closing(): readonly string[];
}

export interface BotOptions {
  readonly now?: () => Date;
  /** Called with every decision this replica makes (benchmarks, embedding). */
  readonly onDecision?: (decision: Decision) => void;
  /** Chat platforms to offer; those configured become adapters beside the log. Default: `adapters/index.ts`. */
  readonly adapterFactories?: readonly AdapterFactory[];
  /** How often agents' heartbeats are checked (default 5 s). */
  readonly livenessCheckMs?: number;
  /** First and longest wait between attempts to deliver a notification (default 1 s, 30 s). */
  readonly deliveryRetryMs?: { readonly first: number; readonly max: number };
}

/** Assembles and starts the bot: Redis, queues, workers and the HTTP API. */
export async function startBot(config: Config, logger: Logger, options: BotOptions = {}): Promise<Bot> {
  const now = options.now ?? (() => new Date());
  const { policy, classifier } = await loadPolicyAndModel(config);
  const connection = await connectRedis(configuredRedis(config, logger));
  const { redis } = connection;
  await checkRole(redis, { kind: 'bot' }).catch(async (err: unknown) => {
    await connection.close();
    throw err;
  });

  // BullMQ loads its scripts onto the connection it is given, and ioredis then
  // copies them into every MULTI on it: queues get their own connections, and
  // ingest one of its own so that a 202 never waits behind the workers.
  const bull = sibling(redis);
  const ingestConnection = sibling(redis);
  const { signer, development } = signerFor(config);
  if (development)
    logger.warn(
      'signing action jobs with the published development key: set ACTION_SIGNING_KEY (healgate signing-key)',
    );
  const parts = approvalParts(redis, bull, policy, config.approvers, now, signer);
  const { audit, events, actions, approvals } = parts;
  const consumer = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  // The audit chain records the event stream: its consumer group must exist before anything writes an event.
  const recorder = new AuditRecorder(
    redis,
    audit,
    { consumer, pruneIdleMs: DAY_MS, retryMs: options.deliveryRetryMs ?? { first: 1000, max: 30_000 } },
    logger,
  );
  await recorder.start();
  const ingestQueue = new Queue<IngestJob>(queues.ingest, { connection: ingestConnection });
  const metrics = createMetrics();
  const gauges = new RedisGauges(metrics, {
    redis,
    ingestDepth: () => ingestQueue.count(),
    actionDepths: () => actions.depths(),
    heartbeatMultiple: policy.agent.heartbeat_multiple,
    now,
  });
  const clock = new RedisClock(redis);
  await clock.start();
  const ingest = new Ingest(ingestQueue, ingestConnection, clock, { maxBatch: 500, lingerMs: 2 }, now);

  const pickup = new PickupDeadlines(bull);
  const pipeline: PipelineDeps = {
    redis,
    classifier,
    policy,
    approvals,
    actions,
    pickup,
    audit,
    events,
    executionMode: config.executionMode,
    logger,
    now,
    onDecision: (d) => {
      metrics.decisions.inc({ decision: d.decision });
      options.onDecision?.(d);
    },
  };
  // New incidents are acted on from their events: this group too must exist before the first one.
  const followUp = new FollowUp(redis, pipeline, { consumer, pruneIdleMs: DAY_MS });
  await followUp.start();
  const workers: Worker[] = [
    startDecisionWorker(pipeline, bull),
    startExpiryWorker(approvals, bull),
    startPickupWorker(pipeline, bull),
  ];
  for (const w of workers)
    w.on('failed', (job, err) => logger.error({ err, queue: w.name, job: job?.id }, 'job failed'));
  (workers[0] as Worker<IngestJob>).on('completed', (job) => {
    if (job.finishedOn) metrics.ingestToDecision.observe((job.finishedOn - Date.parse(job.data.received_at)) / 1000);
  });
  // BullMQ rejects with nobody listening ("Connection is closed.") when a worker or queue is
  // closed while its first INFO is in flight: a start that fails later must find them ready.
  await Promise.all([ingestQueue, parts.expiry, ...workers].map((q) => q.waitUntilReady()));
  const probe = new AgentProbe(redis, bull, policy.agent.heartbeat_multiple, now);
  const diagnoser = new DiagnoseService({ redis, classifier, policy, now, probe, timeoutMs: DIAGNOSE_TIMEOUT_MS });
  const groups = new GroupBook(redis, { by: policy.grouping.by, intervalMs: policy.grouping.group_interval });
  const chat = createChatServices({
    redis,
    groups,
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
  const eventMetrics = new EventMetrics(redis, metrics, consumer, logger);
  const notifier = new Notifier(
    redis,
    groups,
    { consumer, windowMs: policy.grouping.group_wait, digestFrom: 5, claimIdleMs: 60_000, pruneIdleMs: DAY_MS },
    logger,
  );
  // Each platform delivers on its own: one that fails holds up no other.
  const deliveries = adapters.map(
    (adapter) =>
      new AdapterDelivery(
        redis,
        adapter,
        groups,
        {
          consumer,
          claimIdleMs: 30_000,
          pruneIdleMs: DAY_MS,
          patienceMs: policy.approval.timeout,
          retryMs: options.deliveryRetryMs ?? { first: 1000, max: 30_000 },
        },
        logger,
      ),
  );
  // Agents report; the bot decides: their results are audited, announced and escalated here.
  const reports = new ReportConsumer(
    redis,
    reportHandlers({ redis, policy, classifier, approvals, events, ingest, logger, now, verifier: signer.verifier() }),
    // A report a killed replica was handling is taken over after 10 s; handling one twice does nothing twice.
    { consumer, blockMs: 1000, claimIdleMs: 10_000 },
    logger,
  );
  const recovered = await approvals.releaseWaiting();
  if (recovered > 0) logger.warn({ recovered }, 'enqueued action jobs of approved requests left waiting');
  // Every second, on each replica: approved safe actions waiting for fleet slots go out (so a bulk
  // approval runs in waves), and requests past their deadline expire even if their expiry job was lost.
  let releasing: Promise<unknown> | undefined;
  const releaser = setInterval(() => {
    releasing ??= Promise.all([approvals.releaseWaiting(), approvals.expireDue()])
      .catch((err: unknown) => logger.warn({ err }, 'releasing or expiring approvals failed'))
      .finally(() => (releasing = undefined));
  }, RELEASE_EVERY_MS);

  const app = buildServer({
    redis,
    clock,
    ingest,
    audit,
    policy,
    classifier,
    metrics,
    refreshGauges: () => gauges.refresh(),
    logger,
    ingestToken: config.ingestToken,
    workersRunning: () => workers.every((w) => w.isRunning()),
    now,
    plugins: adapters.flatMap((a) => (a.routes ? [a.routes] : [])),
  });
  const liveness = new LivenessWatch(
    { redis, heartbeatMultiple: policy.agent.heartbeat_multiple, now, logger },
    options.livenessCheckMs ?? 5000,
  );
  const steps = new CloseSteps();
  const close = async () => {
    clearInterval(releaser);
    await steps.run('approvals being released or expired', async () => releasing);
    await steps.run('HTTP server', () => app.close());
    clock.close();
    // First: reports waiting now (an agent beside this bot reported as it closed) are handled while all else runs.
    await steps.run('agent reports', () => reports.close());
    await steps.run('agent liveness check', () => liveness.close());
    await steps.run('in-flight decision, expiry and pickup jobs', () => Promise.all(workers.map((w) => w.close())));
    await steps.run('follow-up of new incidents', () => followUp.close());
    await steps.run('notifier', () => notifier.close());
    await steps.run('audit recorder', () => recorder.close());
    await steps.run('chat deliveries', () => Promise.all(deliveries.map((d) => d.close())));
    await steps.run('event metrics', () => eventMetrics.close());
    for (const adapter of adapters) await steps.run(`${adapter.name} adapter`, async () => adapter.close?.());
    await steps.run('queues', () => Promise.all([ingestQueue.close(), parts.close(), pickup.close(), probe.close()]));
    await steps.run('Redis connections', async () => {
      await Promise.all([bull.quit(), ingestConnection.quit()]);
      await connection.close();
    });
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
  for (const delivery of deliveries) await delivery.start();
  await eventMetrics.start();
  reports.start();
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
    close,
    closing: () => steps.pending(),
  };
}
