// The compiled build in dist/: which files it holds, whether it is current,
// and how to make it. Plain JS, because the launcher needs it before any
// TypeScript loader exists.
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SOURCE_DIRS = ['src', 'adapters', 'model'];
const DIST = join(ROOT, 'dist');
export const DIST_ENTRY = pathToFileURL(join(DIST, 'src/cli/main.js')).href;
/** Written last by a build and removed first, so its presence means a complete build. */
const STAMP = join(DIST, '.built');

function sourceFiles() {
  return SOURCE_DIRS.flatMap((dir) =>
    readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
      .map((entry) => join(entry.parentPath, entry.name)),
  );
}

/**
 * Current when no source is newer than the stamp: an edit, a checkout or a
 * new file all move some mtime past it, and a stale build is not run.
 */
export function buildIsCurrent() {
  if (!existsSync(STAMP)) return false;
  const built = statSync(STAMP).mtimeMs;
  return sourceFiles().every((file) => statSync(file).mtimeMs <= built);
}

/**
 * Transpiles every source to dist/ (types are checked by `npm run typecheck`,
 * not here). Run from sources, a process carries tsx's loader thread, ~33 MB
 * of RSS: that matters for the agent, which runs on every host.
 */
export async function buildDist() {
  const { build } = await import('esbuild');
  rmSync(STAMP, { force: true });
  rmSync(DIST, { recursive: true, force: true });
  const startedAt = new Date();
  const files = sourceFiles();
  await build({
    entryPoints: files,
    outdir: DIST,
    outbase: ROOT,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  mkdirSync(DIST, { recursive: true });
  writeFileSync(STAMP, `${files.length} files\n`);
  // Dated when the sources were read: one saved during the build makes it stale.
  utimesSync(STAMP, startedAt, startedAt);
  return files.length;
}
