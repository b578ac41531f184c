import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { aclFile, parseAccounts } from '../../security/acl.js';
import { UsageError } from '../errors.js';

export function registerAcl(program: Command): void {
  program
    .command('acl')
    .summary('print a Redis ACL file with a user for the bot and one per host')
    .description(
      'Reads FILE\'s lines "bot <password>" and "<host> <password>" and prints, for redis-server --aclfile,\n' +
        'the users healgate-bot and healgate-agent-<host> (passwords stored as SHA-256), each allowed only\n' +
        'what its role needs (see docs/security.md). Each process then names its user in REDIS_URL:\n' +
        '  REDIS_URL=redis://healgate-agent-web-1:<password>@redis.internal:6379',
    )
    .requiredOption('--passwords <file>', 'the passwords file')
    .action(async (options: { passwords: string }) => {
      const text = await readFile(options.passwords, 'utf8').catch((err: NodeJS.ErrnoException) => {
        throw new UsageError(`cannot read the passwords file ${options.passwords}: ${err.message}`);
      });
      const parsed = parseAccounts(text);
      if (!parsed.ok) throw new UsageError(`${options.passwords}:\n  ${parsed.errors.join('\n  ')}`);
      process.stdout.write(aclFile(parsed.accounts));
    });
}
