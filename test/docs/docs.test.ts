import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/cli.js';
import { spawnHealgate, type RunningProcess } from '../helpers/process.js';
import { freePort, startRedis, type TestRedis } from '../helpers/redis.js';

/** The documents whose `console` blocks are run: every `$ ` line is a command, the lines after it its output. */
const RUN = ['README.md', 'docs/operations.md'];
/** Every document whose relative links must lead somewhere. */
const LINKED = [
  'README.md',
  ...readdirSync(join(REPO_ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

interface Example {
  readonly file: string;
  readonly command: string;
  readonly output: readonly string[];
}

function examples(file: string): Example[] {
  const out: Example[] = [];
  const text = readFileSync(join(REPO_ROOT, file), 'utf8');
  for (const [, body] of text.matchAll(/^```console\n([^]*?)^```$/gm)) {
    let current: { command: string; output: string[] } | undefined;
    for (const line of body!.split('\n')) {
      if (line.startsWith('$ ')) {
        if (current) out.push({ file, ...current });
        current = { command: line.slice(2), output: [] };
      } else if (current && line.trim() !== '') current.output.push(line);
    }
    if (current) out.push({ file, ...current });
  }
  return out;
}

/** An output line as shown: `…` stands for anything. */
function pattern(shown: string): RegExp {
  return new RegExp(
    `^${shown
      .split('…')
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
}

function sh(
  command: string,
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn('bash', ['-o', 'pipefail', '-c', command], { cwd: REPO_ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** Slug of a heading as GitHub makes it, for links to `file.md#section`. */
function anchors(file: string): Set<string> {
  const text = readFileSync(file, 'utf8').replace(/^```[^]*?^```$/gm, '');
  return new Set(
    [...text.matchAll(/^#+ (.+)$/gm)].map((m) =>
      m[1]!
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-'),
    ),
  );
}

let redis: TestRedis;
let start: RunningProcess | undefined;
let port = 0;

beforeAll(async () => {
  redis = await startRedis();
  port = await freePort();
  start = spawnHealgate(['start'], {
    REDIS_URL: redis.botUrl,
    HTTP_PORT: String(port),
    HOST_ID: 'docs-agent',
    POLL_INTERVAL: '1h',
    LOG_LEVEL: 'warn',
  });
  const started = Date.now();
  while (
    !(await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (Date.now() - started > 30_000) throw new Error(`healgate start did not get ready:\n${start.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
});
afterAll(async () => {
  await start?.stop('SIGKILL');
  await redis?.stop();
});

describe('the docs', () => {
  const all = RUN.flatMap(examples);

  it('show commands to run', () => {
    expect(all.filter((e) => e.file === 'README.md').length).toBeGreaterThanOrEqual(6);
    expect(all.some((e) => e.command.includes('healgate decide'))).toBe(true);
  });

  // In order, as a reader would type them: later ones build on earlier ones.
  it.each(all.map((e) => [`${e.file}: ${e.command.slice(0, 70)}`, e] as const))('%s', async (_, example) => {
    const command = example.command.replaceAll('localhost:8080', `127.0.0.1:${port}`);
    const want = example.output.map(pattern);
    // What happens after a request (a decision, an approval) is asynchronous: ask again for a while.
    const started = Date.now();
    for (;;) {
      const { code, stdout, stderr } = await sh(command, { REDIS_URL: redis.botUrl });
      const lines = stdout.replace(/\n$/, '').split('\n');
      const matches =
        code === 0 && (want.length === 0 || (lines.length === want.length && want.every((p, i) => p.test(lines[i]!))));
      if (matches) break;
      if (Date.now() - started > 10_000) {
        expect({ code, stdout: lines, stderr }).toEqual({ code: 0, stdout: example.output, stderr: '' });
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  it('link only to files and sections that exist', () => {
    const broken: string[] = [];
    for (const file of LINKED) {
      const text = readFileSync(join(REPO_ROOT, file), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue;
        const [path, anchor] = target!.split('#');
        const resolved = path ? resolve(dirname(join(REPO_ROOT, file)), path) : join(REPO_ROOT, file);
        if (!existsSync(resolved)) broken.push(`${file}: ${target}`);
        else if (anchor && resolved.endsWith('.md') && !anchors(resolved).has(anchor))
          broken.push(`${file}: ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
