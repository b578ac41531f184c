import type { Logger as SlackLogger, webApi } from '@slack/bolt';
import { LogLevel } from '@slack/bolt';
import type { Logger } from '../../src/log.js';

/**
 * A few quick retries, then the call fails: the web client's default keeps a
 * call (and the notifier behind it) retrying for about 30 minutes, and a
 * wrong SLACK_API_URL would look like a hang. A 429 waits its Retry-After
 * (the client pauses its queue for it), then counts as one of these retries.
 */
export const RETRY_CONFIG = { retries: 3, factor: 2, minTimeout: 500, maxTimeout: 5_000 } as const;
/** One Web API request never waits longer than this. */
const REQUEST_TIMEOUT_MS = 10_000;

const PINO_LEVEL: Record<string, LogLevel> = {
  trace: LogLevel.DEBUG,
  debug: LogLevel.DEBUG,
  info: LogLevel.INFO,
  warn: LogLevel.WARN,
};

/** Bolt's and the web client's log lines, through healgate's own (pino) logger. */
export function slackLogger(logger: Logger): SlackLogger {
  const line = (msg: unknown[]) => msg.map((m) => (typeof m === 'string' ? m : String(m))).join(' ');
  return {
    debug: (...msg: unknown[]) => logger.debug(line(msg)),
    info: (...msg: unknown[]) => logger.info(line(msg)),
    warn: (...msg: unknown[]) => logger.warn(line(msg)),
    error: (...msg: unknown[]) => logger.error(line(msg)),
    // The level is healgate's LOG_LEVEL; Bolt's own setting does not override it.
    setLevel: () => undefined,
    getLevel: () => PINO_LEVEL[logger.level] ?? LogLevel.ERROR,
    setName: () => undefined,
  };
}

/** Options for every Slack Web API client healgate makes: the App's and the Socket Mode client's. */
export function clientOptions(apiUrl: string, logger: Logger): webApi.WebClientOptions {
  return {
    slackApiUrl: apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/`,
    retryConfig: { ...RETRY_CONFIG },
    timeout: REQUEST_TIMEOUT_MS,
    logger: slackLogger(logger),
  };
}
