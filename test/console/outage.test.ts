import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, useBot } from '../helpers/bot.js';
import { launchBrowser, type TestBrowser } from './browser.js';
import { approvalIdOf, requestFirewall } from './fixtures.js';

const t = useBot();
let browser: TestBrowser;

beforeAll(async () => {
  browser = await launchBrowser({ width: 1280, height: 800 });
});
afterAll(async () => {
  await browser?.close();
});

describe('the console through a Redis outage', () => {
  it('keeps the page, says the API is unavailable, and shows new requests once Redis is back', async () => {
    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(t.bot.url);
    await page.locator('#live.on').waitFor();

    await t.redis.kill();
    await eventually(() => (t.bot.connection.redis.status !== 'ready' ? true : undefined));
    await page.locator('#command-input').fill('/audit verify');
    await page.locator('#command-input').press('Enter');
    await page.locator('#command-out .error', { hasText: 'Redis is unavailable' }).waitFor();

    await t.redis.restart();
    await eventually(async () => ((await t.bot.request('/readyz')).status === 200 ? true : undefined), 15_000);
    // The feed's own reader reconnects too: a request made now reaches the open page without a reload.
    await requestFirewall(t.bot, 'after-outage');
    const id = await approvalIdOf(t.bot, 'after-outage');
    await page.locator(`[data-card="approval:${id}"][data-status="pending"]`).waitFor();
    expect(await page.locator('#live').textContent()).toBe('live');
  });
});
