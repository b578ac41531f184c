import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBot } from '../helpers/bot.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { snapshot } from '../helpers/core.js';
import { launchBrowser, outputPath, type TestBrowser } from './browser.js';
import { requestFirewall } from './fixtures.js';

// The bot's clock an hour ahead of this machine's: the page must count down on the bot's.
const t = useBot({}, { now: () => new Date(Date.now() + 3_600_000) });
const FIREWALL_HOST = 'edge-proxy-with-a-long-name-01';
let browser: TestBrowser;
let page: Page;

/** What sticks out of the viewport: the page's own sideways scroll and every element wider or further right. */
const OVERFLOW = `(() => {
  const vw = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll('body *')]
    .filter((el) => el.getClientRects().length > 0 && !el.closest('[hidden], dialog:not([open])'))
    .filter((el) => {
      const r = el.getBoundingClientRect();
      // Inside a scrolling table wrapper is meant to scroll; the wrapper itself must fit.
      return !el.closest('.table-wrap') && (r.right > vw + 0.5 || r.left < -0.5);
    })
    .map((el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + '.' + [...el.classList].join('.'));
  return { scroll: document.documentElement.scrollWidth - vw, wide: wide.slice(0, 10) };
})()`;

/** With UPDATE_CONSOLE_SCREENSHOT set, the screenshot replaces the one kept in docs/ (as console.test does). */
async function keep(name: string): Promise<void> {
  if (process.env.UPDATE_CONSOLE_SCREENSHOT) await copyFile(await outputPath(name), join(REPO_ROOT, 'docs', name));
}

/** Is the element's box wholly inside the viewport (scrolled into view first)? */
async function inside(page: Page, selector: string): Promise<boolean> {
  const el = page.locator(selector).first();
  await el.scrollIntoViewIfNeeded();
  const box = await el.boundingBox();
  const size = page.viewportSize()!;
  return (
    box !== null && box.x >= 0 && box.y >= 0 && box.x + box.width <= size.width && box.y + box.height <= size.height
  );
}

beforeAll(async () => {
  browser = await launchBrowser();
  page = await browser.context.newPage();
  page.setDefaultTimeout(10_000);
  for (const disk of [40, 45, 50])
    await t.bot.request('/v1/metrics', { body: snapshot({ host: 'db-7', disk_usage: disk }) });
  await requestFirewall(t.bot, FIREWALL_HOST);
  await page.goto(t.bot.url);
  await page.locator('#live.on').waitFor();
  await page.locator('#approvals .card.approval').waitFor();
});
afterAll(async () => {
  await browser?.close();
});

describe('the console on a phone, a laptop and a wide screen', () => {
  for (const [width, height, name] of [
    [390, 844, 'phone'],
    [1366, 768, 'laptop'],
    [1920, 1080, 'wide'],
  ] as const) {
    it(`${width} × ${height}: nothing wider than the screen, Approve and Reject and the decide dialog inside it`, async () => {
      await page.setViewportSize({ width, height });
      await page.goto(`${t.bot.url}/#/`);
      await page.locator('#approvals .card.approval').waitFor();
      expect({ width, ...(await page.evaluate<{ scroll: number; wide: string[] }>(OVERFLOW)) }).toEqual({
        width,
        scroll: 0,
        wide: [],
      });
      expect(await page.locator('#approvals .card.approval .countdown').first().textContent()).toMatch(
        /^(29|30)m \d\ds$/,
      );
      expect(await inside(page, '#approvals .card.approval button.approve')).toBe(true);
      expect(await inside(page, '#approvals .card.approval button.reject')).toBe(true);
      await page.screenshot({ path: await outputPath(`console-${name}.png`) });
      await keep(`console-${name}.png`);

      await page.locator('#approvals .card.approval button.approve').first().click();
      await page.locator('#decide-dialog[open]').waitFor();
      expect(await inside(page, '#decide-dialog')).toBe(true);
      expect(await inside(page, '#decide-confirm')).toBe(true);
      expect(await inside(page, '#decide-cancel')).toBe(true);
      await page.locator('#decide-cancel').click();

      await page.goto(`${t.bot.url}/#/host/${FIREWALL_HOST}`);
      await page.locator('#host-view .chart').first().waitFor();
      // The host's own timeline: the approval asked for it.
      await page.locator('#host-view .timeline li[data-type="approval.requested"]').waitFor();
      expect({ width, ...(await page.evaluate<{ scroll: number; wide: string[] }>(OVERFLOW)) }).toEqual({
        width,
        scroll: 0,
        wide: [],
      });
      // Each chart's time axis names each moment once.
      const labels = await page.locator('#host-view .chart').first().locator('.axis.time').allTextContents();
      expect(labels.length).toBeGreaterThan(0);
      expect(new Set(labels).size).toBe(labels.length);
      if (name === 'phone') {
        await page.screenshot({ path: await outputPath('console-phone-host.png'), fullPage: true });
        await keep('console-phone-host.png');
      }
    });
  }
});
