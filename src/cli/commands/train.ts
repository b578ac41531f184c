import type { Command } from 'commander';
import { TRAIN_DEFAULTS, trainSeverityModel } from '../../../model/training/train.js';
import { resolveDate } from '../../io/source-date.js';
import { modelCardPath, writeModelFiles } from '../../io/model-file.js';
import { loadPolicyFile } from '../../io/policy-file.js';
import { modelPath, parseInteger, parsePositiveNumber, policyPath } from '../options.js';

interface TrainCliOptions {
  policy?: string;
  out?: string;
  seed: number;
  size: number;
  steps: number;
  learningRate: number;
  date?: string;
  revision: number;
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .summary('train the severity model on seeded synthetic data and write the artifact and its model card')
    .description(
      "Generates a seeded synthetic dataset labelled by the policy's rules, trains ml-logistic-regression,\n" +
        'evaluates it on held-out sets drawn with other seeds, and writes the (unapproved) artifact and MODEL_CARD.md.\n' +
        'Same options and date → byte-identical artifact. The date comes from --date, else SOURCE_DATE_EPOCH, else now.',
    )
    .option('--policy <file>', 'policy whose rules label the data (default: $POLICY_FILE or policies/default.yaml)')
    .option(
      '--out <file>',
      'artifact path (default: $MODEL_FILE or model/severity-model.json); MODEL_CARD.md goes beside it',
    )
    .option('--seed <n>', 'training seed', parseInteger('--seed'), TRAIN_DEFAULTS.seed)
    .option('--size <n>', 'training snapshots', parseInteger('--size'), TRAIN_DEFAULTS.trainSize)
    .option('--steps <n>', 'gradient steps (library numSteps)', parseInteger('--steps'), TRAIN_DEFAULTS.numSteps)
    .option(
      '--learning-rate <x>',
      'library learningRate',
      parsePositiveNumber('--learning-rate'),
      TRAIN_DEFAULTS.learningRate,
    )
    .option('--date <iso>', 'training date for trained_at and the version')
    .option('--revision <n>', 'the N in severity-YYYY-MM-DD.N', parseInteger('--revision'), TRAIN_DEFAULTS.revision)
    .action(async (options: TrainCliOptions) => {
      const policy = await loadPolicyFile(policyPath(options));
      const date = resolveDate(options.date);
      const out = modelPath({ model: options.out });
      const started = performance.now();
      const artifact = trainSeverityModel({
        policy,
        seed: options.seed,
        trainSize: options.size,
        numSteps: options.steps,
        learningRate: options.learningRate,
        date,
        revision: options.revision,
      });
      await writeModelFiles(out, artifact);
      const { uniform, boundary } = artifact.evaluation;
      console.log(`trained ${artifact.version} in ${((performance.now() - started) / 1000).toFixed(1)}s`);
      console.log(
        `held-out accuracy: uniform ${(uniform.accuracy * 100).toFixed(2)}%, near thresholds ${(boundary.accuracy * 100).toFixed(2)}%`,
      );
      console.log(
        `wrote ${out} and ${modelCardPath(out)} (not approved: review the card, then \`healgate model approve --by NAME\`)`,
      );
    });
}
