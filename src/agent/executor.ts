import { execFile } from 'node:child_process';
import type { ExecutionMode } from '../config/types.js';
import type { ActionOutcome, StepResult } from '../events/types.js';

/** Enough output for a thread and the audit; the rest is cut. */
export const OUTPUT_CAP = 4096;
/** What a step may print before it is stopped: a runaway command must not fill the agent's memory. */
const MAX_BUFFER = 1024 * 1024;

/**
 * The only environment a remediation command sees: no tokens, no Redis URL,
 * no LD_PRELOAD or PATH tricks inherited from whoever started the agent.
 */
export const CLEAN_ENV: Readonly<Record<string, string>> = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  LANG: 'C',
  LC_ALL: 'C',
  HOME: '/',
};

export function capOutput(text: string): string {
  return text.length <= OUTPUT_CAP
    ? text
    : `${text.slice(0, OUTPUT_CAP)}\n…[${text.length - OUTPUT_CAP} more characters cut]`;
}

/** One argv with execFile (never a shell), a deadline, a clean environment and capped output. */
export function runStep(argv: readonly string[], timeoutMs: number): Promise<StepResult> {
  const [program, ...args] = argv;
  const start = performance.now();
  return new Promise((resolve) => {
    execFile(
      program ?? '',
      args,
      {
        timeout: Math.max(1, timeoutMs),
        killSignal: 'SIGKILL',
        maxBuffer: MAX_BUFFER,
        env: CLEAN_ENV,
        cwd: '/',
        shell: false,
      },
      (error, stdout, stderr) => {
        const duration_ms = Math.round(performance.now() - start);
        const output = capOutput(`${stdout}${stderr}`.trim());
        if (!error) return resolve({ argv, exit_code: 0, timed_out: false, duration_ms, output });
        const e = error as NodeJS.ErrnoException & { killed?: boolean; code?: number | string };
        const timedOut = e.killed === true && duration_ms >= timeoutMs - 5;
        const exit = typeof e.code === 'number' ? e.code : null;
        const why = timedOut ? `timed out after ${timeoutMs} ms` : exit === null ? e.message : '';
        resolve({
          argv,
          exit_code: timedOut ? null : exit,
          timed_out: timedOut,
          duration_ms,
          output: capOutput([output, why].filter(Boolean).join('\n')),
        });
      },
    );
  });
}

/** A step that was never started: reported with its argv, no exit code. */
export const notRun = (argv: readonly string[]): StepResult => ({
  argv,
  exit_code: null,
  timed_out: false,
  duration_ms: 0,
  output: '',
});

/**
 * An action's steps in order, within its timeout: a step that fails stops
 * the rest, which are reported as not run. In dry-run nothing runs and
 * every argv is reported as it would have been run.
 */
export async function runSteps(
  steps: readonly (readonly string[])[],
  timeoutMs: number,
  mode: ExecutionMode,
): Promise<{ outcome: ActionOutcome; steps: StepResult[] }> {
  if (mode === 'dry-run') return { outcome: 'dry_run', steps: steps.map(notRun) };
  const deadline = performance.now() + timeoutMs;
  const results: StepResult[] = [];
  let failed = false;
  for (const argv of steps) {
    if (failed) {
      results.push(notRun(argv));
      continue;
    }
    const result = await runStep(argv, Math.round(deadline - performance.now()));
    results.push(result);
    failed = result.exit_code !== 0;
  }
  return { outcome: failed ? 'failure' : 'success', steps: results };
}
