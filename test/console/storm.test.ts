import { copyFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../src/redis/keys.js';
import { auditEntriesOf, eventually, useBot } from '../helpers/bot.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { snapshot } from '../helpers/core.js';
import { webhook } from '../helpers/alertmanager.js';
import { launchBrowser, outputPath, type TestBrowser } from './browser.js';

// The default policy: 5 hosts heal fleet-wide, the rest of a storm is held.
const t = useBot();
let browser: TestBrowser;
let page: Page;

beforeAll(async () => {
  browser = await launchBrowser({ width: 1366, height: 900 });
  page = await browser.context.newPage();
  page.setDefaultTimeout(15_000);
  await page.goto(t.bot.url);
  await page.locator('#live.on').waitFor();
});
afterAll(async () => {
  await browser?.close();
});

const HOSTS = Array.from({ length: 12 }, (_, i) => `cstorm-${i + 1}`);

describe('a storm in the web console', () => {
  it('is one card listing its hosts, and Approve all decides the held ones, leaving out those named', async () => {
    await t.bot.request('/v1/metrics', { body: HOSTS.map((host) => snapshot({ host, disk_usage: 97 })) });
    const card = page.locator('#approvals .card[data-card^="group:"]');
    await card.locator('h3', { hasText: 'Disk on 12 hosts: 5 auto-healing, 7 waiting for a human' }).waitFor();
    // Every host is listed with its state.
    await expect.poll(() => card.locator('.members li').count()).toBe(12);
    expect(await card.locator('.members li.state-held').count()).toBe(7);
    expect(await card.locator('.members li.state-healing').count()).toBe(5);
    await page.screenshot({ path: await outputPath('storm-group.png') });
    if (process.env.UPDATE_CONSOLE_SCREENSHOT)
      await copyFile(await outputPath('storm-group.png'), join(REPO_ROOT, 'docs/storm-group.png'));

    const held = (await t.bot.approvals.getMany(await t.redis.client().zrange(keys.approvalsPending, 0, -1))).map(
      (a) => a!.host,
    );
    const leftOut = held[0]!;
    await card.locator('button.approve', { hasText: 'Approve all (7)' }).click();
    await page.locator('#decide-dialog[open]').waitFor();
    await page.locator('#decide-notes').fill('storm: bad deploy rolled back');
    await page.locator('#decide-except').fill(leftOut);
    await page.locator('#decide-confirm').click();
    await card.locator('.tally', { hasText: 'approved 6, 0 already decided, 0 refused, 1 left out.' }).waitFor();

    const operator = `console:${userInfo().username}`;
    const approved = await auditEntriesOf(t.bot, 'type=approval.approved&limit=100', 6);
    expect(approved).toHaveLength(6);
    expect(approved.every((e) => e.actor === operator && e.notes === 'storm: bad deploy rolled back')).toBe(true);
    expect(approved.map((e) => e.host)).not.toContain(leftOut);
    await eventually(
      async () => ((await t.redis.client().zcard(keys.approvalsPending)) === 1 ? true : undefined),
      10_000,
      'one request left',
    );
  });

  it("shows on a host's page which of its values an alert holds, beside the host's own reading", async () => {
    await t.bot.request('/v1/metrics', { body: snapshot({ host: 'am-c', disk_usage: 20 }) });
    await eventually(async () => ((await t.bot.request('/v1/hosts/am-c')).status === 200 ? true : undefined));
    expect(
      (
        await t.bot.request('/v1/alertmanager', {
          body: webhook('firing', [
            { name: 'HostOutOfDiskSpace', instance: 'am-c:9100', free: '3', fingerprint: 'amc' },
          ]),
        })
      ).status,
    ).toBe(200);
    await eventually(async () => {
      const { body } = await t.bot.request('/v1/hosts/am-c');
      return (body as { snapshot?: { disk_usage: number } }).snapshot?.disk_usage === 97 ? true : undefined;
    });
    await page.goto(`${t.bot.url}/#/host/am-c`);
    await page
      .locator('.sources li', {
        hasText: 'Disk 97% from alert HostOutOfDiskSpace (firing since 2026-11-25T10:00:00.000Z); the push reads 20%',
      })
      .waitFor();
  });
});
