import { createReadStream } from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import { CLASSES, severityOf } from '../../core/classes.js';
import { decide } from '../../core/decide/decide.js';
import { ConfusionCounter, formatConfusion, type Scores } from '../../core/model/metrics.js';
import { snapshotSchema } from '../../core/snapshot/schema.js';
import { formatIssues } from '../../core/snapshot/validate.js';
import { readJsonLines } from '../../io/jsonl.js';
import { EXIT_BAD_INPUT, UsageError } from '../errors.js';
import { loadModelAndPolicy, withModelAndPolicy, type ModelPolicyOptions } from '../options.js';

const labelledSchema = snapshotSchema.extend({
  expected: z.enum(CLASSES, { error: `expected one of ${CLASSES.join(', ')}` }),
});

interface EvaluateOptions extends ModelPolicyOptions {
  data: string;
  json?: boolean;
}

function section(title: string, s: Scores): string {
  const correct = Math.round(s.accuracy * s.total);
  const perClass = CLASSES.map(
    (c) =>
      `  ${c.padEnd(14)} precision ${(s.per_class[c].precision * 100).toFixed(2)}%  recall ${(s.per_class[c].recall * 100).toFixed(2)}%  support ${s.per_class[c].support}`,
  );
  return [
    `${title}: accuracy ${(s.accuracy * 100).toFixed(2)}% (${correct}/${s.total})`,
    ...perClass,
    formatConfusion(s.confusion),
    '',
  ].join('\n');
}

export function registerEvaluate(program: Command): void {
  withModelAndPolicy(
    program
      .command('evaluate')
      .summary('score the model and the full decision on labelled JSONL')
      .description(
        'Each line is a snapshot plus "expected": NO_ACTION | AUTO_HEAL | HITL_REQUIRED.\n' +
          "Prints accuracy, per-class precision/recall and the confusion matrix of the model's class and of the\n" +
          'final decision (model + policy, empty context). Bad lines are reported on stderr and skipped (exit 1).',
      )
      .requiredOption('--data <file>', 'labelled JSONL file')
      .option('--json', 'print the scores as JSON'),
  ).action(async (options: EvaluateOptions) => {
    const { policy, classifier } = await loadModelAndPolicy(options);
    const input = createReadStream(options.data);
    const opened = new Promise<void>((resolve, reject) => {
      input.once('open', () => resolve());
      input.once('error', (err) => reject(new UsageError(`cannot read ${options.data}: ${err.message}`)));
    });
    await opened;
    const model = new ConfusionCounter();
    const decision = new ConfusionCounter();
    let bad = 0;
    for await (const item of readJsonLines(input)) {
      if (!item.ok) {
        bad += 1;
        console.error(`line ${item.line}: ${item.error}`);
        continue;
      }
      const parsed = labelledSchema.safeParse(item.value);
      if (!parsed.success) {
        bad += 1;
        console.error(`line ${item.line}: ${formatIssues(parsed.error)}`);
        continue;
      }
      const expected = severityOf(parsed.data.expected);
      const d = decide(parsed.data, classifier, policy);
      model.add(expected, severityOf(d.model_class));
      decision.add(expected, d.severity);
    }
    const result = {
      file: options.data,
      model_version: classifier.version,
      policy: policy.id,
      bad_lines: bad,
      model: model.scores(),
      decision: decision.scores(),
    };
    if (result.model.total === 0) throw new UsageError(`${options.data} holds no valid labelled snapshot`);
    if (options.json) {
      console.log(JSON.stringify(result, null, 2));
    } else {
      console.log(
        `${result.model.total} labelled snapshots from ${options.data} (${bad} bad lines skipped); model ${classifier.version}, policy ${policy.id}\n`,
      );
      console.log(section('model class', result.model));
      console.log(section('decision (model + policy)', result.decision));
    }
    if (bad > 0) process.exitCode = EXIT_BAD_INPUT;
  });
}
