import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBot } from '../helpers/bot.js';
import { chromiumSource, npmChromiumMajor, SYSTEM_CHROMIUM } from '../helpers/chromium.js';
import { launchBrowser, type TestBrowser } from './browser.js';
import { approvalIdOf, requestFirewall } from './fixtures.js';

const t = useBot();
let browser: TestBrowser;

beforeAll(async () => {
  // The npm-shipped Chromium, even where Debian's is installed: the path a machine without a browser takes.
  browser = await launchBrowser({ width: 1280, height: 800 }, 'npm');
});
afterAll(async () => {
  await browser?.close();
});

describe('the browser the console tests drive', () => {
  it("is Debian's where installed and the npm-shipped one where not, unless forced", async () => {
    const nowhere = join(await mkdtemp(join(tmpdir(), 'healgate-no-browser-')), 'chromium');
    expect(chromiumSource({}, nowhere)).toBe('npm');
    expect(chromiumSource({}, SYSTEM_CHROMIUM)).toBe(existsSync(SYSTEM_CHROMIUM) ? 'system' : 'npm');
    expect(chromiumSource({ HEALGATE_TEST_CHROMIUM: 'npm' }, SYSTEM_CHROMIUM)).toBe('npm');
    expect(() => chromiumSource({ HEALGATE_TEST_CHROMIUM: 'firefox' })).toThrow(/npm or system/);
  });

  it('the npm-shipped Chromium shows the console live, with a new approval card', async () => {
    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(t.bot.url);
    // @sparticuz/chromium's major version is its Chromium's: this is the npm one, not Debian's.
    expect(await page.evaluate<string>('navigator.userAgent')).toContain(`Chrome/${npmChromiumMajor()}.`);
    await page.locator('#live.on').waitFor();
    await requestFirewall(t.bot, 'npm-chromium');
    const id = await approvalIdOf(t.bot, 'npm-chromium');
    const card = page.locator(`[data-card="approval:${id}"][data-status="pending"]`);
    await card.waitFor();
    expect(await card.textContent()).toContain('firewall_port_change on npm-chromium');
  });
});
