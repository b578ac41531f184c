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

export const durationSchema = z
  .string({ error: 'expected a duration such as 30s, 5m or 1h' })
  .transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined || ms === 0) {
      ctx.addIssue({ code: 'custom', message: `"${text}" is not a positive duration such as 30s, 5m or 1h` });
      return z.NEVER;
    }
    return ms;
  });
