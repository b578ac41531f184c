import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('.env', () => {
  it('is read from the working directory when present, and the environment wins over it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'healgate-dotenv-'));
    await writeFile(join(dir, '.env'), '# from the file\nHTTP_PORT=eighty\nEXECUTION_MODE=yolo\n');
    const { code, stderr } = await runCli(['bot'], {
      cwd: dir,
      env: { EXECUTION_MODE: 'dry-run', HTTP_PORT: undefined },
    });
    expect(code).toBe(2);
    expect(stderr).toContain('HTTP_PORT: expected an integer 1-65535, got "eighty"');
    expect(stderr).not.toContain('EXECUTION_MODE');
  });

  it('is optional', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'healgate-no-dotenv-'));
    const { code, stderr } = await runCli(['bot'], { cwd: dir, env: { HTTP_PORT: 'eighty' } });
    expect(code).toBe(2);
    expect(stderr).toContain('HTTP_PORT: expected');
  });
});
