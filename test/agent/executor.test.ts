import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLEAN_ENV, OUTPUT_CAP, runStep, runSteps } from '../../src/agent/executor.js';

describe('one step', () => {
  it('reports the exit code and output of the program', async () => {
    expect(await runStep(['true'], 5000)).toMatchObject({ argv: ['true'], exit_code: 0, timed_out: false });
    expect(await runStep(['ls', '/nonexistent-healgate'], 5000)).toMatchObject({ exit_code: 2, timed_out: false });
    expect((await runStep(['ls', '/nonexistent-healgate'], 5000)).output).toContain('No such file or directory');
  });

  it('never goes through a shell: metacharacters are plain text', async () => {
    const step = await runStep(['echo', '$(id); rm -rf / `reboot` && echo pwned'], 5000);
    expect(step.output).toBe('$(id); rm -rf / `reboot` && echo pwned');
  });

  it('kills a step at its deadline and says so', async () => {
    const step = await runStep(['sleep', '10'], 300);
    expect(step).toMatchObject({ exit_code: null, timed_out: true });
    expect(step.output).toContain('timed out after 300 ms');
  });

  it('caps what a step prints', async () => {
    const step = await runStep(['seq', '1', '20000'], 5000);
    expect(step.exit_code).toBe(0);
    expect(step.output.length).toBeLessThan(OUTPUT_CAP + 100);
    expect(step.output).toMatch(/more characters cut\]$/);
  });

  it('runs in a clean environment: nothing of the agent leaks in', async () => {
    process.env.HEALGATE_TEST_SECRET = 'do-not-leak';
    const step = await runStep(['env'], 5000);
    delete process.env.HEALGATE_TEST_SECRET;
    const env: Record<string, string> = Object.fromEntries(
      step.output.split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(env).toEqual(CLEAN_ENV);
  });

  it('reports a program that does not exist', async () => {
    const step = await runStep(['healgate-no-such-program'], 5000);
    expect(step).toMatchObject({ exit_code: null, timed_out: false });
    expect(step.output).toContain('ENOENT');
  });
});

describe('an action of several steps', () => {
  it('stops at the first failing step and reports the rest as not run', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'healgate-steps-'));
    const ran = await runSteps([['mktemp', '-p', dir], ['false'], ['mktemp', '-p', dir]], 5000, 'live');
    expect(ran.outcome).toBe('failure');
    expect(ran.steps.map((s) => s.exit_code)).toEqual([0, 1, null]);
    expect(await readdir(dir)).toHaveLength(1);
  });

  it('in dry-run runs nothing and reports every argv', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'healgate-steps-'));
    const ran = await runSteps([['mktemp', '-p', dir], ['sync']], 5000, 'dry-run');
    expect(ran).toEqual({
      outcome: 'dry_run',
      steps: [
        { argv: ['mktemp', '-p', dir], exit_code: null, timed_out: false, duration_ms: 0, output: '' },
        { argv: ['sync'], exit_code: null, timed_out: false, duration_ms: 0, output: '' },
      ],
    });
    expect(await readdir(dir)).toEqual([]);
  });

  it('shares one timeout between its steps', async () => {
    const ran = await runSteps(
      [
        ['sleep', '0.2'],
        ['sleep', '10'],
      ],
      600,
      'live',
    );
    expect(ran.outcome).toBe('failure');
    expect(ran.steps.map((s) => [s.exit_code, s.timed_out])).toEqual([
      [0, false],
      [null, true],
    ]);
  });
});
