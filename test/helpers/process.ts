import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from './cli.js';

const BIN = fileURLToPath(new URL('../../bin/healgate.js', import.meta.url));

export interface RunningProcess {
  readonly child: ChildProcess;
  output(): string;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * A long-running `healgate` process (bot, start), as an operator would run
 * it; `launcher` is a command that execs it (e.g. `prlimit --nofile=N:N`).
 */
export function spawnHealgate(
  args: readonly string[],
  env: Record<string, string>,
  nodeFlags: readonly string[] = [],
  launcher: readonly string[] = [],
): RunningProcess {
  const [command, ...argv] = [...launcher, process.execPath, ...nodeFlags, BIN, ...args];
  const child = spawn(command!, argv, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
