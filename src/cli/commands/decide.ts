import type { Command } from 'commander';
import { decide } from '../../core/decide/decide.js';
import { parseSnapshot } from '../../core/snapshot/validate.js';
import { readJsonLines, writeLine } from '../../io/jsonl.js';
import { EXIT_BAD_INPUT } from '../errors.js';
import { loadModelAndPolicy, withModelAndPolicy, type ModelPolicyOptions } from '../options.js';

export function registerDecide(program: Command): void {
  withModelAndPolicy(
    program
      .command('decide')
      .summary('decide JSONL snapshots from stdin, one JSON decision per line on stdout')
      .description(
        'Reads one snapshot per line on stdin and writes one decision per line on stdout, in input order.\n' +
          'A bad line yields {"line": N, "error": "..."} in its place and the run goes on; the exit status is then 1.\n' +
          'Needs no Redis: the context (open incidents, recent auto-heals) is empty.',
      ),
  ).action(async (options: ModelPolicyOptions) => {
    const { policy, classifier } = await loadModelAndPolicy(options);
    let bad = 0;
    for await (const item of readJsonLines(process.stdin)) {
      const snapshot = item.ok ? parseSnapshot(item.value) : item;
      if (snapshot.ok) {
        await writeLine(process.stdout, decide(snapshot.value, classifier, policy));
      } else {
        bad += 1;
        await writeLine(process.stdout, { line: item.line, error: snapshot.error });
      }
    }
    if (bad > 0) process.exitCode = EXIT_BAD_INPUT;
  });
}
