import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Command } from 'commander';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { AuditLog, type VerifyResult } from '../../audit/index.js';
import { parseDuration } from '../../core/policy/duration.js';
import { UsageError } from '../errors.js';

export type ConnectRedis = () => Promise<{ redis: Redis; close(): Promise<void> }>;

/** `healgate audit verify` exits with this when the log was tampered with. */
export const EXIT_TAMPERED = 1;

const isoTime = z.union([z.iso.datetime({ offset: true }), z.iso.date()]);

/** `2026-11-25T10:00:00Z`, `2026-11-25` (UTC midnight), or a duration back from now such as `24h` or `7d`. */
export function parseSince(text: string, now: Date): Date {
  const ago = parseDuration(text);
  if (ago !== undefined) return new Date(now.getTime() - ago);
  if (isoTime.safeParse(text).success) {
    const date = new Date(text);
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw new UsageError(
    `--since: "${text}" is neither an ISO-8601 time such as 2026-11-25T10:00:00Z nor a duration such as 24h or 7d`,
  );
}

export function formatVerify(result: VerifyResult): string {
  if (result.ok) return `audit log intact: ${result.entries} entries, head ${result.head ?? '(none)'}`;
  return (
    `audit log TAMPERED: ${result.problem}${result.id ? ` at ${result.id}` : ''} ` +
    `(after checking ${result.entries_checked} entries)\n${result.detail}`
  );
}

async function withAudit<T>(connect: ConnectRedis, use: (audit: AuditLog) => Promise<T>): Promise<T> {
  const connection = await connect();
  try {
    return await use(new AuditLog(connection.redis));
  } finally {
    await connection.close();
  }
}

export function registerAudit(program: Command, connect: ConnectRedis): void {
  const audit = program.command('audit').summary('check and export the audit log (needs Redis: $REDIS_URL)');

  audit
    .command('verify')
    .summary('walk the hash chain and report the first changed, removed or inserted entry')
    .description(
      'Reads the whole audit stream oldest first and checks that every entry matches its hash and chains to the one\n' +
        'before it, and that the head key points at the newest entry.\n' +
        'Exit status: 0 intact, 1 tampered (the first problem found is named), 2 cannot run.',
    )
    .option('--json', 'print the result as JSON')
    .action(async (options: { json?: boolean }) => {
      const result = await withAudit(connect, (log) => log.verify());
      console.log(options.json ? JSON.stringify(result) : formatVerify(result));
      if (!result.ok) process.exitCode = EXIT_TAMPERED;
    });

  audit
    .command('export')
    .summary('write audit entries as JSONL, oldest first')
    .description(
      'One JSON object per entry: id, the entry fields, prev and hash, so that the chain can be re-checked elsewhere.\n' +
        'Entries are exported as stored, including any that `healgate audit verify` would flag.',
    )
    .requiredOption(
      '--since <when>',
      'ISO-8601 time (2026-11-25T10:00:00Z, 2026-11-25) or a duration back from now (24h, 7d)',
    )
    .option('--out <file>', 'write to this file instead of stdout')
    .action(async (options: { since: string; out?: string }) => {
      const since = parseSince(options.since, new Date());
      const file = options.out;
      if (file === undefined) {
        const count = await withAudit(connect, (log) => log.export(since, process.stdout));
        console.error(`exported ${count} entries since ${since.toISOString()}`);
        return;
      }
      // Opened before connecting, so an unwritable path fails fast without touching Redis.
      const out = createWriteStream(file);
      await once(out, 'open').catch((err: Error) => {
        throw new UsageError(`cannot write ${file}: ${err.message}`);
      });
      try {
        const count = await withAudit(connect, (log) => log.export(since, out));
        out.end();
        await once(out, 'finish');
        console.error(`exported ${count} entries since ${since.toISOString()} to ${file}`);
      } finally {
        out.destroy();
      }
    });
}
