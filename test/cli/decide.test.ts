import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonLines, runCli } from '../helpers/cli.js';
import { snapshot } from '../helpers/core.js';

const line = (o: unknown) => JSON.stringify(o);

describe('healgate decide', () => {
  it('answers each JSONL snapshot with a decision line, in input order, bad lines in place', async () => {
    const input = [
      line(snapshot({ host: 'disk-full', disk_usage: 91.5 })),
      line(snapshot({ host: 'dns-slow', dns_latency_ms: 400 })),
      '{"host": "broken",',
      '',
      line(snapshot({ host: 'too-full', disk_usage: 140 })),
      line(snapshot({ host: 'quiet' })),
    ].join('\n');
    const { code, stdout, stderr } = await runCli(['decide'], { input });
    expect(stderr).toBe('');
    expect(code).toBe(1);
    const out = jsonLines(stdout) as Record<string, unknown>[];
    expect(out.map((o) => o.host ?? `line ${String(o.line)}`)).toEqual([
      'disk-full',
      'dns-slow',
      'line 3',
      'line 5',
      'quiet',
    ]);
    expect(out.map((o) => o.decision ?? 'error')).toEqual([
      'AUTO_HEAL',
      'HITL_REQUIRED',
      'error',
      'error',
      'NO_ACTION',
    ]);
    expect(out[2]).toEqual({ line: 3, error: expect.stringContaining('not valid JSON') as unknown });
    expect(out[3]).toEqual({ line: 5, error: 'disk_usage: must be <= 100 (percent)' });
  });

  it('exits 0 when every line is good, from any working directory, and keeps order over thousands of lines', async () => {
    const hosts = Array.from({ length: 3000 }, (_, i) => `h${i}`);
    const input = hosts.map((host, i) => line(snapshot({ host, cpu_usage: i % 100 }))).join('\n');
    const { code, stdout } = await runCli(['decide'], { input, cwd: tmpdir() });
    expect(code).toBe(0);
    const out = jsonLines(stdout) as { host: string; decision: string }[];
    expect(out.map((o) => o.host)).toEqual(hosts);
    expect(out.filter((o) => o.decision === 'AUTO_HEAL').length).toBeGreaterThan(200);
  });

  it('refuses to start on a bad policy file, naming the key, and decides nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'healgate-cli-'));
    const policy = join(dir, 'policy.yaml');
    await writeFile(policy, 'version: 1\nname: x\n');
    const { code, stdout, stderr } = await runCli(['decide', '--policy', policy], { input: line(snapshot()) });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(`healgate: policy file ${policy} is invalid: signals:`);
  });

  it('honours MODEL_FILE', async () => {
    const { code, stderr } = await runCli(['decide'], {
      input: line(snapshot()),
      env: { MODEL_FILE: '/nonexistent/model.json' },
    });
    expect(code).toBe(2);
    expect(stderr).toContain('healgate: cannot read model file /nonexistent/model.json');
  });

  it('has --help for every command', async () => {
    for (const args of [
      ['--help'],
      ['decide', '--help'],
      ['train', '--help'],
      ['evaluate', '--help'],
      ['model', 'approve', '--help'],
    ]) {
      const { code, stdout } = await runCli(args);
      expect(code).toBe(0);
      expect(stdout).toContain('Usage: healgate');
    }
  });
});
