import type { Command } from 'commander';
import { readModelFile, writeModelFiles } from '../../io/model-file.js';
import { resolveDate } from '../../io/source-date.js';
import { UsageError } from '../errors.js';
import { modelPath } from '../options.js';

export function registerModel(program: Command): void {
  const model = program.command('model').summary('govern model artifacts');
  model
    .command('approve')
    .summary('record who approved a trained model; only approved models are loaded')
    .requiredOption('--by <name>', 'who approves it (recorded in approved_by)')
    .option('--model <file>', 'artifact to approve (default: $MODEL_FILE or model/severity-model.json)')
    .option('--date <iso>', 'approval time (default: SOURCE_DATE_EPOCH, else now)')
    .action(async (options: { by: string; model?: string; date?: string }) => {
      const by = options.by.trim();
      if (by === '') throw new UsageError('--by needs a name');
      const path = modelPath(options);
      // Checked like any load except for approval itself: a corrupt or foreign artifact cannot be approved.
      const artifact = await readModelFile(path, { requireApproval: false });
      const approved = { ...artifact, approved_by: by, approved_at: resolveDate(options.date).toISOString() };
      await writeModelFiles(path, approved);
      const previous = artifact.approved_by ? ` (replacing the approval by ${artifact.approved_by})` : '';
      console.log(`${artifact.version} approved by ${by} at ${approved.approved_at}${previous}`);
    });
}
