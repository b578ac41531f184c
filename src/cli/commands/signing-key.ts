import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { privateKeyFromSeed, rawPublicKey } from '../../actions/signing.js';

export function registerSigningKey(program: Command): void {
  program
    .command('signing-key')
    .summary('print a new key pair for signing action jobs (ACTION_SIGNING_KEY, ACTION_VERIFY_KEY)')
    .description(
      'Prints a fresh Ed25519 key pair as two environment lines. ACTION_SIGNING_KEY goes to the bot only;\n' +
        'ACTION_VERIFY_KEY (the public half) goes to every agent. See docs/security.md.',
    )
    .action(() => {
      const seed = randomBytes(32);
      const verify = rawPublicKey(privateKeyFromSeed(seed));
      process.stdout.write(
        `ACTION_SIGNING_KEY=${seed.toString('base64')}\nACTION_VERIFY_KEY=${verify.toString('base64')}\n`,
      );
    });
}
