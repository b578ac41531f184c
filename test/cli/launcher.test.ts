import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/cli.js';

const run = promisify(execFile);

/** A package laid out like healgate, with the real launcher and build, and a main that says where it runs from. */
function fakePackage(): { root: string; writeMain: (version: string) => void } {
  const root = mkdtempSync(join(tmpdir(), 'launcher-'));
  for (const dir of ['bin', 'src/cli', 'adapters', 'model']) mkdirSync(join(root, dir), { recursive: true });
  for (const file of ['healgate.js', 'dist.js', 'build.js'])
    copyFileSync(join(REPO_ROOT, 'bin', file), join(root, 'bin', file));
  writeFileSync(join(root, 'package.json'), '{"type":"module"}');
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'));
  const writeMain = (version: string) =>
    writeFileSync(
      join(root, 'src/cli/main.ts'),
      `const from: string = new URL(import.meta.url).pathname;\nconsole.log('${version} ' + from);\n`,
    );
  writeMain('v1');
  return { root, writeMain };
}

async function healgate(root: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [join(root, 'bin/healgate.js'), ...args]);
  return stdout.trim();
}

describe('the healgate launcher', () => {
  it('runs the compiled build while it is current, and the sources as soon as one is newer', async () => {
    const { root, writeMain } = fakePackage();
    expect(await healgate(root)).toBe(`v1 ${join(root, 'src/cli/main.ts')}`);

    await run(process.execPath, [join(root, 'bin/build.js')]);
    expect(await healgate(root)).toBe(`v1 ${join(root, 'dist/src/cli/main.js')}`);

    // An edit after the build: the stale build is not run.
    writeMain('v2');
    const later = new Date(Date.now() + 5000);
    utimesSync(join(root, 'src/cli/main.ts'), later, later);
    expect(await healgate(root)).toBe(`v2 ${join(root, 'src/cli/main.ts')}`);

    await run(process.execPath, [join(root, 'bin/build.js')]);
    utimesSync(join(root, 'src/cli/main.ts'), new Date(0), new Date(0));
    expect(await healgate(root)).toBe(`v2 ${join(root, 'dist/src/cli/main.js')}`);
    // The agent runs the build too, with V8's lite mode set first (see bin/healgate.js).
    expect(await healgate(root, 'agent')).toBe(`v2 ${join(root, 'dist/src/cli/main.js')}`);

    // A new source file is also newer than the build.
    writeFileSync(join(root, 'adapters/new.ts'), 'export {};\n');
    utimesSync(join(root, 'adapters/new.ts'), later, later);
    expect(await healgate(root)).toBe(`v2 ${join(root, 'src/cli/main.ts')}`);
    // tsx needs WebAssembly, which lite mode takes away: from the sources the agent runs as everything else does.
    expect(await healgate(root, 'agent')).toBe(`v2 ${join(root, 'src/cli/main.ts')}`);
  });
});
