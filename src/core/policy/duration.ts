import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^(\d{1,9})(ms|s|m|h|d)$/;

/** `30s`, `5m`, `1h`, `7d`, `500ms` → milliseconds. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/** 12s, 29m, 3h: a span in words short enough for a chat line, rounded to its largest unit. */
export function formatDuration(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < 90_000) return `${Math.round(abs / 1000)}s`;
  if (abs < 5_400_000) return `${Math.round(abs / 60_000)}m`;
  return `${Math.round(abs / 3_600_000)}h`;
}

/**
 * The longest delay a Node timer holds (2^31-1 ms, about 24.8 days): a
 * longer one fires at once (TimeoutOverflowWarning), so a poll interval of
 * 30d would poll continuously.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Why a duration a timer waits for cannot be used; undefined when it can. */
export function timerDurationProblem(text: string, ms: number): string | undefined {
  if (ms <= MAX_TIMER_MS) return undefined;
  return `"${text}" is longer than a timer can wait (at most ${MAX_TIMER_MS} ms, about 24d)`;
}

/** A positive duration that a timer can wait for: every duration of the policy is one. */
export const durationSchema = z
  .string({ error: 'expected a duration such as 30s, 5m or 1h' })
  .transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined || ms === 0) {
      ctx.addIssue({ code: 'custom', message: `"${text}" is not a positive duration such as 30s, 5m or 1h` });
      return z.NEVER;
    }
    const problem = timerDurationProblem(text, ms);
    if (problem) {
      ctx.addIssue({ code: 'custom', message: problem });
      return z.NEVER;
    }
    return ms;
  });
