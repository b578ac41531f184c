import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { contentHash } from '../../src/core/model/artifact.js';
import { runCli } from '../helpers/cli.js';
import { SHIPPED_MODEL, snapshot } from '../helpers/core.js';

/** The shipped artifact was trained with the default options on this date. */
const SHIPPED_TRAINING_ENV = { SOURCE_DATE_EPOCH: '1795564800' };
const input = JSON.stringify(snapshot({ disk_usage: 95 }));

let dir: string;
let trained: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'healgate-model-'));
  trained = join(dir, 'severity-model.json');
  const { code, stdout, stderr } = await runCli(['train', '--out', trained], { env: SHIPPED_TRAINING_ENV });
  expect(stderr).toBe('');
  expect(code).toBe(0);
  expect(stdout).toMatch(/held-out accuracy: uniform 99\.\d\d%/);
}, 120_000);

async function variantOf(source: string, name: string, edit: (text: string) => string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, edit(await readFile(source, 'utf8')));
  return path;
}

describe('healgate train', () => {
  it('reproduces the shipped artifact byte for byte from the same seed and date (approval aside)', async () => {
    const shipped = JSON.parse(await readFile(SHIPPED_MODEL, 'utf8')) as Record<string, unknown>;
    const expected = `${JSON.stringify({ ...shipped, approved_by: null, approved_at: null }, null, 2)}\n`;
    expect(await readFile(trained, 'utf8')).toBe(expected);
  });

  it('writes a model card from the same figures, marked not approved', async () => {
    const artifact = JSON.parse(await readFile(trained, 'utf8')) as {
      version: string;
      evaluation: { uniform: { accuracy: number } };
    };
    const card = await readFile(join(dir, 'MODEL_CARD.md'), 'utf8');
    expect(card).toContain(`# Model card: ${artifact.version}`);
    expect(card).toContain(`Accuracy **${(artifact.evaluation.uniform.accuracy * 100).toFixed(2)}%**`);
    expect(card).toContain('**Not approved.**');
  });
});

describe('model governance', () => {
  it('refuses an unapproved model until someone approves it', async () => {
    const path = join(dir, 'approve-me.json');
    await copyFile(trained, path);
    const refused = await runCli(['decide', '--model', path], { input });
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain(`refusing model file ${path}: not approved`);

    const approve = await runCli([
      'model',
      'approve',
      '--by',
      'alice',
      '--model',
      path,
      '--date',
      '2026-11-25T12:00:00Z',
    ]);
    expect(approve.code).toBe(0);
    expect(approve.stdout).toContain('approved by alice at 2026-11-25T12:00:00.000Z');
    const approved = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    expect(approved).toMatchObject({ approved_by: 'alice', approved_at: '2026-11-25T12:00:00.000Z' });
    expect(await readFile(join(dir, 'MODEL_CARD.md'), 'utf8')).toContain(
      'Approved by **alice** at 2026-11-25T12:00:00.000Z',
    );

    const accepted = await runCli(['decide', '--model', path], { input });
    expect(accepted.code).toBe(0);
    expect(JSON.parse(accepted.stdout)).toMatchObject({ decision: 'AUTO_HEAL' });
  });

  it('refuses a model whose weights were edited after approval', async () => {
    const path = await variantOf(SHIPPED_MODEL, 'edited.json', (t) =>
      t.replace(/("weights": \[\s*\[\s*)(-?\d)/, '$19$2'),
    );
    const { code, stderr } = await runCli(['decide', '--model', path], { input });
    expect(code).toBe(2);
    expect(stderr).toContain('corrupt: its content does not match content_sha256');
    const approve = await runCli(['model', 'approve', '--by', 'mallory', '--model', path]);
    expect(approve.code).toBe(2);
    expect(approve.stderr).toContain('corrupt');
  });

  it('refuses a truncated or foreign file', async () => {
    const truncated = await variantOf(SHIPPED_MODEL, 'truncated.json', (t) => t.slice(0, t.length / 2));
    const cut = await runCli(['decide', '--model', truncated], { input });
    expect(cut.code).toBe(2);
    expect(cut.stderr).toContain('corrupt: not valid JSON');
    const foreign = await variantOf(SHIPPED_MODEL, 'foreign.json', () => '{"name": "LogisticRegression"}');
    const other = await runCli(['decide', '--model', foreign], { input });
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('corrupt or not a healgate model: format:');
  });

  it('refuses a model trained for another feature schema, even with a valid hash', async () => {
    const path = await variantOf(SHIPPED_MODEL, 'old-schema.json', (t) => {
      const doc = JSON.parse(t) as { feature_schema: { version: string }; content_sha256: string };
      doc.feature_schema.version = 'severity-features/0';
      doc.content_sha256 = contentHash(doc);
      return JSON.stringify(doc);
    });
    const { code, stderr } = await runCli(['decide', '--model', path], { input });
    expect(code).toBe(2);
    expect(stderr).toContain('feature schema mismatch: the model was trained for severity-features/0');
  });
});
