import { Command, CommanderError } from 'commander';
import { ModelFileError } from '../io/model-file.js';
import { PolicyFileError } from '../io/policy-file.js';
import { HostTakenError } from '../agent/host-lease.js';
import { RedisSetupError } from '../redis/errors.js';
import { registerAcl } from './commands/acl.js';
import { registerDecide } from './commands/decide.js';
import { registerSigningKey } from './commands/signing-key.js';
import { registerEvaluate } from './commands/evaluate.js';
import { registerModel } from './commands/model.js';
import { registerAudit } from './commands/audit.js';
import { registerDiagnose } from './commands/diagnose.js';
import { connectForCommand, registerRun } from './commands/run.js';
import { registerTrain } from './commands/train.js';
import { loadEnvFile } from './env-file.js';
import { EXIT_CANNOT_RUN, UsageError } from './errors.js';

const program = new Command('healgate')
  .description('Governed self-healing for servers: decide, heal what is safe, ask humans for the rest.')
  .showHelpAfterError()
  .exitOverride();

registerRun(program);
registerDecide(program);
registerTrain(program);
registerEvaluate(program);
registerModel(program);
registerAudit(program, connectForCommand);
registerDiagnose(program, connectForCommand);
registerAcl(program);
registerSigningKey(program);

// `healgate decide < big.jsonl | head` closes our stdout early: that is the reader's choice, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

try {
  loadEnvFile();
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode;
  } else if (
    err instanceof UsageError ||
    err instanceof PolicyFileError ||
    err instanceof ModelFileError ||
    err instanceof RedisSetupError ||
    err instanceof HostTakenError
  ) {
    console.error(`healgate: ${err.message}`);
    process.exitCode = EXIT_CANNOT_RUN;
  } else {
    throw err;
  }
}
