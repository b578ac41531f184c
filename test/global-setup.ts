import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unpackNpmChromium } from './helpers/chromium.js';

/**
 * The processes the tests start (`healgate agent`, `bot`, `start`) run the
 * compiled build, as they do after `npm ci`: built once here, so an edited
 * checkout is tested as it will ship.
 *
 * Every temp directory the tests make (policy copies, sandboxes, Redis data,
 * browser profiles) goes under one root, removed when the run ends, so that
 * runs leave nothing behind on a shared machine.
 *
 * The npm-shipped Chromium is unpacked here, once per version, so that a
 * machine without a browser runs the console tests too.
 */
export default async function setup(): Promise<() => void> {
  execFileSync(process.execPath, [fileURLToPath(new URL('../bin/build.js', import.meta.url))], { stdio: 'ignore' });
  await unpackNpmChromium();
  const root = mkdtempSync(join(tmpdir(), 'healgate-test-'));
  // Test workers and the processes they start (agents, redis-server, chromium) inherit it.
  process.env.TMPDIR = root;
  return () => rmSync(root, { recursive: true, force: true });
}
