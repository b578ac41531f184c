import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { labelByRules } from '../../src/core/policy/conditions.js';
import { loadPolicyFile } from '../../src/io/policy-file.js';
import { draw, thresholdsOf } from '../../model/training/dataset.js';
import { mulberry32 } from '../../model/training/prng.js';
import { runCli } from '../helpers/cli.js';
import { DEFAULT_POLICY } from '../helpers/core.js';

let data: string;

beforeAll(async () => {
  const policy = await loadPolicyFile(DEFAULT_POLICY);
  const rng = mulberry32(31337);
  const lines = Array.from({ length: 2000 }, (_, i) => {
    const s = draw('uniform', rng, thresholdsOf(policy));
    return JSON.stringify({ host: `h${i}`, ...s, expected: labelByRules(s, policy) });
  });
  lines.splice(10, 0, '{"host":"x","disk_usage":50}', 'not json');
  data = join(await mkdtemp(join(tmpdir(), 'healgate-eval-')), 'labelled.jsonl');
  await writeFile(data, `${lines.join('\n')}\n`);
});

describe('healgate evaluate', () => {
  it('prints accuracy and confusion matrices for the model and the full decision', async () => {
    const { code, stdout, stderr } = await runCli(['evaluate', '--data', data]);
    expect(code).toBe(1);
    expect(stderr).toContain('line 11: memory_usage: is required');
    expect(stderr).toContain('line 12: not valid JSON');
    expect(stdout).toContain('2000 labelled snapshots');
    expect(stdout).toMatch(/model class: accuracy (99\.\d\d|100\.00)% \(\d+\/2000\)/);
    expect(stdout).toContain('decision (model + policy): accuracy');
    expect(stdout).toMatch(/expected \\ predicted\s+NO_ACTION\s+AUTO_HEAL\s+HITL_REQUIRED/);
  });

  it('gives the same figures as JSON', async () => {
    const { stdout } = await runCli(['evaluate', '--data', data, '--json']);
    const result = JSON.parse(stdout) as {
      bad_lines: number;
      model: { accuracy: number; total: number; confusion: number[][] };
      decision: { accuracy: number };
    };
    expect(result.bad_lines).toBe(2);
    expect(result.model.total).toBe(2000);
    expect(result.model.accuracy).toBeGreaterThanOrEqual(0.99);
    expect(result.model.confusion.flat().reduce((a, b) => a + b, 0)).toBe(2000);
    // The decision sends unsure verdicts to humans, so it may only move towards HITL_REQUIRED.
    expect(result.decision.accuracy).toBeGreaterThan(0.97);
  });

  it('says so when the data file is missing', async () => {
    const { code, stderr } = await runCli(['evaluate', '--data', '/nonexistent.jsonl']);
    expect(code).toBe(2);
    expect(stderr).toContain('healgate: cannot read /nonexistent.jsonl');
  });
});
