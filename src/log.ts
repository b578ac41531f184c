import { destination, pino, stdTimeFunctions, type DestinationStream, type Logger as PinoLogger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type Logger = PinoLogger;

export interface LoggerOptions {
  /** Where JSON lines go; stdout when absent (tests pass a collector). */
  destination?: DestinationStream;
  /** Fields on every line, e.g. `{ component: 'agent' }`. */
  bindings?: Record<string, string | number>;
}

/** JSON lines with ISO timestamps, so they read well in `journalctl` and parse in log shippers. */
export function createLogger(level: LogLevel, options: LoggerOptions = {}): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid, ...options.bindings },
      timestamp: stdTimeFunctions.isoTime,
      // Tokens must not reach log files even when a request or config object is logged whole.
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', '*.token', '*.password', '*.signingSecret'],
        censor: '[redacted]',
      },
    },
    options.destination ?? destination(1),
  );
}
