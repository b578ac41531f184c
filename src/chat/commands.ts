import type { AuditLog, AuditSummary, VerifyResult } from '../audit/index.js';
import { MAX_SUMMARY_DAYS } from '../audit/summary.js';
import { parseDuration } from '../core/policy/duration.js';
import { HOST_PATTERN } from '../core/snapshot/schema.js';
import type { Diagnoser, Diagnosis } from '../diagnose/types.js';

export const COMMAND_NAMES = ['diagnose', 'audit'] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

export const USAGE: Record<CommandName, string> = {
  diagnose: 'Usage: /diagnose <host> — e.g. /diagnose host-1',
  audit: 'Usage: /audit [window] [host] or /audit verify — e.g. /audit 24h, /audit 7d host-1',
};

export type ChatCommand =
  | { readonly kind: 'diagnose'; readonly host: string }
  | { readonly kind: 'audit'; readonly window: string; readonly windowMs: number; readonly host: string | null }
  | { readonly kind: 'verify' };

/** What a command answers; `usage` goes back to the person who typed it only. */
export type CommandReply =
  | { readonly kind: 'usage'; readonly message: string }
  | { readonly kind: 'diagnose'; readonly diagnosis: Diagnosis }
  | { readonly kind: 'audit'; readonly window: string; readonly summary: AuditSummary }
  | { readonly kind: 'verify'; readonly result: VerifyResult };

/** One day short of the rollup retention: a summary widens its window to whole hours. */
const MAX_WINDOW_DAYS = MAX_SUMMARY_DAYS - 1;
const MAX_WINDOW_MS = MAX_WINDOW_DAYS * 86_400_000;

/** Parses what follows `/diagnose` or `/audit`, as typed in any chat. */
export function parseCommand(name: string, text: string): ChatCommand | { readonly usage: string } {
  const args = text.trim().split(/\s+/).filter(Boolean);
  if (name === 'diagnose') {
    if (args.length !== 1)
      return { usage: `${args.length === 0 ? 'Which host?' : 'One host at a time.'} ${USAGE.diagnose}` };
    if (!HOST_PATTERN.test(args[0]!))
      return { usage: `"${args[0]!.slice(0, 80)}" is not a host name. ${USAGE.diagnose}` };
    return { kind: 'diagnose', host: args[0]! };
  }
  if (name === 'audit') {
    if (args.length === 1 && args[0] === 'verify') return { kind: 'verify' };
    if (args.length > 2) return { usage: USAGE.audit };
    let window = '24h';
    let host: string | null = null;
    for (const arg of args) {
      const ms = parseDuration(arg);
      if (ms !== undefined && window === '24h' && host === null && arg === args[0]) {
        if (ms === 0 || ms > MAX_WINDOW_MS)
          return { usage: `The window must be between 1s and ${MAX_WINDOW_DAYS}d. ${USAGE.audit}` };
        window = arg;
      } else if (host === null && HOST_PATTERN.test(arg)) {
        host = arg;
      } else {
        return { usage: `"${arg.slice(0, 80)}" is neither a window (1h, 24h, 7d) nor a host. ${USAGE.audit}` };
      }
    }
    return { kind: 'audit', window, windowMs: parseDuration(window)!, host };
  }
  return { usage: `Unknown command /${name.slice(0, 40)}. ${USAGE.diagnose}; ${USAGE.audit}` };
}

export interface CommandDeps {
  readonly diagnoser: Diagnoser;
  readonly audit: AuditLog;
  readonly now: () => Date;
  /** Has a snapshot of this host ever arrived? */
  readonly knownHost: (host: string) => Promise<boolean>;
}

/**
 * The command, or the usage answer it gets before anything runs (a typo, a
 * host never seen). Quick, so that a platform can answer a mistake
 * privately before it shows a public "thinking…".
 */
export async function checkCommand(
  deps: Pick<CommandDeps, 'knownHost'>,
  name: string,
  text: string,
): Promise<ChatCommand | { readonly usage: string }> {
  const command = parseCommand(name, text);
  if ('usage' in command || command.kind === 'verify' || command.host === null) return command;
  if (await deps.knownHost(command.host)) return command;
  const usage = command.kind === 'diagnose' ? USAGE.diagnose : USAGE.audit;
  return { usage: `No snapshot of ${command.host} has ever arrived: is the name right? ${usage}` };
}

/** Runs a chat command; every refusal is a usage reply, never an exception. */
export async function runCommand(deps: CommandDeps, name: string, text: string): Promise<CommandReply> {
  const command = await checkCommand(deps, name, text);
  if ('usage' in command) return { kind: 'usage', message: command.usage };
  switch (command.kind) {
    case 'diagnose': {
      const outcome = await deps.diagnoser.diagnose(command.host);
      return outcome.ok
        ? { kind: 'diagnose', diagnosis: outcome.diagnosis }
        : { kind: 'usage', message: `${outcome.message} ${USAGE.diagnose}` };
    }
    case 'audit': {
      const until = deps.now();
      const summary = await deps.audit.summary({
        since: new Date(until.getTime() - command.windowMs),
        until,
        ...(command.host ? { host: command.host } : {}),
      });
      return { kind: 'audit', window: command.window, summary };
    }
    case 'verify':
      return { kind: 'verify', result: await deps.audit.verify() };
  }
}
