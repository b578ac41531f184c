import { isIP } from 'node:net';
import { z } from 'zod';
import { parseDuration, timerDurationProblem } from '../core/policy/duration.js';
import { HOST_PATTERN } from '../core/snapshot/schema.js';
import { LOG_LEVELS, type LogLevel } from '../log.js';
import { redactUrl } from './redact.js';

/** A value read from text by `parse`, or an issue saying what was expected and what was given. */
function parsed<T>(expected: string, parse: (text: string) => T | undefined, show = (text: string) => text) {
  return z.string().transform((text, ctx): T => {
    const value = parse(text);
    if (value === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected ${expected}, got ${JSON.stringify(show(text))}` });
      return z.NEVER;
    }
    return value;
  });
}

function oneOf<const T extends string>(values: readonly T[]) {
  return parsed(values.join(' | '), (text) => values.find((v) => v === text));
}

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

export const portField = parsed('an integer 1-65535', (text) => {
  const n = /^\d{1,5}$/.test(text) ? Number(text) : 0;
  return n >= 1 && n <= 65_535 ? n : undefined;
});

export const listenHostField = parsed('a host name or IP address', (text) =>
  isIP(text) !== 0 || HOSTNAME.test(text) ? text : undefined,
);

export const hostIdField = parsed(`a host name matching ${HOST_PATTERN.source}`, (text) =>
  HOST_PATTERN.test(text) ? text : undefined,
);

/** A duration a timer waits for (POLL_INTERVAL): positive, and no longer than a timer can hold. */
export const durationField = z.string().transform((text, ctx): number => {
  const ms = parseDuration(text);
  const problem =
    ms === undefined || ms === 0
      ? `expected a duration such as 500ms, 15s or 1m, got ${JSON.stringify(text)}`
      : timerDurationProblem(text, ms);
  if (problem) {
    ctx.addIssue({ code: 'custom', message: problem });
    return z.NEVER;
  }
  return ms!;
});

export const redisUrlField = parsed(
  'a redis:// or rediss:// URL',
  (text) => {
    if (!/^rediss?:\/\//.test(text) || !URL.canParse(text)) return undefined;
    return new URL(text).hostname === '' ? undefined : text;
  },
  redactUrl,
);

export const httpUrlField = parsed('an http:// or https:// URL', (text) =>
  /^https?:\/\//.test(text) && URL.canParse(text) ? text : undefined,
);

export const executionModeField = oneOf(['dry-run', 'live'] as const);
export const logLevelField = oneOf<LogLevel>(LOG_LEVELS);

/** Secrets are never echoed; whitespace is refused because a pasted token often brings a newline along. */
export const secretField = z.string().regex(/^\S+$/, { error: 'must not contain whitespace (value not shown)' });

export const nameField = z.string();

/** Comma-separated IP addresses (the authenticating proxies in front of the console). */
export const addressListField = parsed('comma-separated IP addresses, e.g. 10.0.0.5,10.0.0.6', (text) => {
  const entries = text
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  return entries.length > 0 && entries.every((e) => isIP(e) !== 0) ? entries : undefined;
});

const PRINCIPAL = /^(?:slack|discord|discord-role|console|console-group):[A-Za-z0-9._@-]{1,64}$/;

/** Comma-separated principals; every bad entry is named, empty entries (a trailing comma) are skipped. */
export const approversField = z.string().transform((text, ctx) => {
  const entries = text
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  const bad = entries.filter((e) => !PRINCIPAL.test(e));
  if (bad.length > 0) {
    ctx.addIssue({
      code: 'custom',
      message: `expected comma-separated platform:userId with platform slack | discord | discord-role | console (slack:U123, discord:4567, console:alice), got ${bad.map((e) => JSON.stringify(e)).join(', ')}`,
    });
    return z.NEVER;
  }
  return entries;
});

/** 32 bytes in base64 (an Ed25519 seed or public key, as `healgate signing-key` prints them); never echoed. */
export const ed25519KeyField = parsed(
  '32 bytes in base64, as `healgate signing-key` prints them',
  (text) => {
    if (!/^[A-Za-z0-9+/]{43}=?$/.test(text)) return undefined;
    const bytes = Buffer.from(text, 'base64');
    return bytes.length === 32 ? bytes : undefined;
  },
  () => '(value not shown)',
);
