import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from './cli.js';

/** Debian's chromium: used where it is installed, since it matches the machine's libraries. */
export const SYSTEM_CHROMIUM = '/usr/bin/chromium';

/**
 * Where the Chromium shipped inside `@sparticuz/chromium` is unpacked: one
 * folder per package version, kept between runs (unpacking takes a second).
 */
function npmChromiumDir(): string {
  return join(REPO_ROOT, 'node_modules', '.cache', 'healgate-chromium', npmChromiumVersion());
}

function npmChromiumVersion(): string {
  const manifest = join(REPO_ROOT, 'node_modules', '@sparticuz', 'chromium', 'package.json');
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

/** The package's major version, which is that of the Chromium it ships. */
export function npmChromiumMajor(): string {
  return npmChromiumVersion().split('.')[0]!;
}

export function npmChromiumPath(): string {
  return join(npmChromiumDir(), 'chromium');
}

/**
 * Unpacks the npm-shipped Chromium once. The package unpacks into `os.tmpdir()`
 * and trusts any file already there, so it is pointed at a fresh staging folder
 * that is renamed into place whole: a concurrent run never sees half a binary.
 * Run from vitest's global set-up, before any worker reads TMPDIR.
 */
export async function unpackNpmChromium(): Promise<string> {
  const dir = npmChromiumDir();
  const target = join(dir, 'chromium');
  if (existsSync(target)) return target;
  await mkdir(join(dir, '..'), { recursive: true });
  const staging = await mkdtemp(`${dir}.staging-`);
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = staging;
  try {
    const { default: Chromium } = await import('@sparticuz/chromium');
    await Chromium.executablePath();
  } finally {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
  }
  try {
    await rename(staging, dir);
  } catch (error) {
    // Another run put the same version in place first: theirs is as good.
    await rm(staging, { recursive: true, force: true });
    if (!existsSync(target)) throw error;
  }
  return target;
}

export type ChromiumSource = 'system' | 'npm';

/**
 * Which Chromium the browser tests drive: HEALGATE_TEST_CHROMIUM=npm|system
 * forces one; otherwise Debian's where present, else the npm-shipped one, so
 * `npm ci && npm test` needs no browser installed.
 */
export function chromiumSource(env: NodeJS.ProcessEnv = process.env, system = SYSTEM_CHROMIUM): ChromiumSource {
  const forced = env.HEALGATE_TEST_CHROMIUM;
  if (forced === 'npm' || forced === 'system') return forced;
  if (forced !== undefined && forced !== '')
    throw new Error(`HEALGATE_TEST_CHROMIUM must be npm or system, not ${forced}`);
  return existsSync(system) ? 'system' : 'npm';
}

export function chromiumExecutable(source: ChromiumSource): string {
  return source === 'system' ? SYSTEM_CHROMIUM : npmChromiumPath();
}
