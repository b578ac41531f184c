import type { Command } from 'commander';
import { loadConfig } from '../../config/env.js';
import type { Config } from '../../config/types.js';
import { destination } from 'pino';
import { createLogger, type Logger } from '../../log.js';
import { configuredRedis, connectRedis } from '../../redis/connect.js';
import { EXIT_CANNOT_RUN, EXIT_CUT_OFF, UsageError } from '../errors.js';

export function configFromEnv(): Config {
  const result = loadConfig(process.env);
  if (!result.ok) throw new UsageError(`invalid configuration:\n  ${result.errors.join('\n  ')}`);
  return result.config;
}

interface Closable {
  close(): Promise<void>;
  closing(): readonly string[];
}

/**
 * SIGTERM/SIGINT: drain and close within the grace period (SHUTDOWN_GRACE),
 * then exit non-zero naming what was cut off (a Redis that never answers
 * must not turn `docker stop` into a SIGKILL); a second signal stops at once.
 * Listening from the first moment, so that a signal during start-up (a private
 * redis-server being started, an agent waiting for its host's lease) closes
 * what has started instead of leaving it behind. Resolves with what started.
 */
async function closeOnSignals(starting: Promise<Closable>, logger: Logger, graceMs: number): Promise<void> {
  let closing = false;
  let started: Closable | undefined;
  void starting.then(
    (running) => (started = running),
    () => undefined,
  );
  const stop = (signal: NodeJS.Signals) => {
    if (closing) {
      logger.warn({ signal }, 'second signal: exiting without draining');
      process.exit(EXIT_CANNOT_RUN);
    }
    closing = true;
    logger.info({ signal, grace_ms: graceMs }, 'draining in-flight jobs, then exiting');
    setTimeout(() => {
      const cut = started ? started.closing() : ['start-up'];
      logger.error(
        { cut_off: cut, grace_ms: graceMs },
        `shutdown grace period (SHUTDOWN_GRACE ${graceMs} ms) over: cut off ${cut.join(', ') || 'nothing'}`,
      );
      process.exit(EXIT_CUT_OFF);
    }, graceMs);
    starting
      .then((running) => running.close())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, 'error while closing');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  await starting;
}

/** Redis for one-shot commands (audit): logs go to stderr, stdout stays the command's output. */
export async function connectForCommand() {
  const config = configFromEnv();
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, { destination: destination(2) });
  return connectRedis(configuredRedis(config, logger));
}

// Each process loads only its own part: an agent on every host should not carry the bot's HTTP and chat stack.
async function runBot(withAgent: boolean): Promise<void> {
  const config = configFromEnv();
  const logger = createLogger(config.logLevel);
  await closeOnSignals(startBotAndAgent(config, logger, withAgent), logger, config.shutdownGraceMs);
}

async function startBotAndAgent(config: Config, logger: Logger, withAgent: boolean): Promise<Closable> {
  const { startBot } = await import('../../bot/bot.js');
  const bot = await startBot(config, logger);
  if (!withAgent) return bot;
  const { startAgent } = await import('../../agent/agent.js');
  const agent = await startAgent(config, logger.child({ part: 'agent' }), {
    connection: bot.connection,
    // Another agent runs as this host: a configuration error to fix, not to run alongside.
    onHostTaken: () => void bot.close().finally(() => process.exit(EXIT_CANNOT_RUN)),
  }).catch(async (err: unknown) => {
    await bot.close();
    throw err;
  });
  // The agent first: its running action finishes and reports while the bot's Redis is still there.
  return {
    async close() {
      await agent.close();
      await bot.close();
    },
    closing: () => [...agent.closing(), ...bot.closing()],
  };
}

async function runAgent(): Promise<void> {
  const config = configFromEnv();
  const logger = createLogger(config.logLevel);
  const starting = import('../../agent/agent.js').then(({ startAgent }) =>
    startAgent(config, logger, { onHostTaken: () => process.exit(EXIT_CANNOT_RUN) }),
  );
  await closeOnSignals(starting, logger, config.shutdownGraceMs);
}

export function registerRun(program: Command): void {
  program
    .command('start')
    .summary('run the bot and a local agent in one process (the single-machine default)')
    .description(
      'Configuration comes from the environment (see .env.example). Without REDIS_URL it uses 127.0.0.1:6379, or starts a private redis-server under ./var/redis.',
    )
    .action(() => runBot(true));
  program
    .command('bot')
    .summary('run the bot alone: HTTP API, decision worker, approvals (for a fleet)')
    .description('Configuration comes from the environment (see .env.example).')
    .action(() => runBot(false));
  program
    .command('agent')
    .summary('run the host agent: poll this host, run its action jobs, answer /diagnose (one per host)')
    .description(
      "HOST_ID names the host (default: os.hostname()), POLL_INTERVAL the period, EXECUTION_MODE=live lets it run remediation commands; it needs only Redis (REDIS_URL), not the bot's HTTP API.",
    )
    .action(() => runAgent());
}
