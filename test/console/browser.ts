import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { chromiumExecutable, chromiumSource, type ChromiumSource } from '../helpers/chromium.js';
import { REPO_ROOT } from '../helpers/cli.js';

const TEST_OUTPUT = join(REPO_ROOT, 'test-output');

export interface TestBrowser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Headless Chromium with a fresh profile and nothing that calls home: Debian's
 * where installed, else the one shipped in npm (see test/helpers/chromium.ts).
 */
export async function launchBrowser(
  viewport = { width: 1440, height: 960 },
  source: ChromiumSource = chromiumSource(),
): Promise<TestBrowser> {
  const profile = await mkdtemp(join(tmpdir(), 'healgate-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumExecutable(source),
    headless: true,
    viewport,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Where screenshots go (gitignored). */
export async function outputPath(name: string): Promise<string> {
  await mkdir(TEST_OUTPUT, { recursive: true });
  return join(TEST_OUTPUT, name);
}
