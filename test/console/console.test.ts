import { publishFirewallDryRun } from '../helpers/events.js';
import { copyFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionJobs, useBot } from '../helpers/bot.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { snapshot } from '../helpers/core.js';
import { launchBrowser, outputPath, type TestBrowser } from './browser.js';
import { requestFirewall } from './fixtures.js';

const t = useBot();
const operator = `console:${userInfo().username}`;
const XSS_REASON = 'new health check <img src=x onerror="window.__xss=1">';
const XSS_NOTES =
  '<b>checked</b> with the app team <script>window.__xss=2</script><img src=x onerror="window.__xss=3">';

let browser: TestBrowser;
let page: Page;

beforeAll(async () => {
  browser = await launchBrowser();
  page = await browser.context.newPage();
  page.setDefaultTimeout(10_000);
  await page.goto(t.bot.url);
  await page.locator('#live.on').waitFor();
});
afterAll(async () => {
  await browser?.close();
});

let seq = 0;
async function firewallRequest(reason?: string): Promise<string> {
  const host = `web-${++seq}`;
  await requestFirewall(t.bot, host, reason);
  return host;
}

/** The approval card of this host's request, once the page shows it; returns the approval id. */
async function approvalCard(host: string): Promise<string> {
  const card = page.locator('#approvals .card.approval', { hasText: `firewall_port_change on ${host}` });
  await card.waitFor();
  const key = await card.getAttribute('data-card');
  return key!.replace('approval:', '');
}

const card = (id: string) => page.locator(`[data-card="approval:${id}"]`);
let firstApproval = '';

describe('the web console', () => {
  it('shows a new host and its approval live, approves with notes, and audits them as text', async () => {
    const host = await firewallRequest(XSS_REASON);
    // No reload: the row comes from the feed's host updates, the card from the events stream.
    await page.locator(`#hosts-body tr[data-host="${host}"]`).waitFor();
    const id = await approvalCard(host);
    firstApproval = id;
    const pending = card(id);
    expect(await pending.getAttribute('data-status')).toBe('pending');
    const text = (await pending.textContent()) ?? '';
    expect(text).toContain('Approval needed');
    expect(text).toContain('firewall_port_change (rule=allow, port=8443, protocol=tcp)');
    expect(text).toContain(XSS_REASON);
    expect(text).toContain('slack:UREQ');
    // Never a rounded "100%" for what the model is not certain of.
    expect(text).toContain('human > 99.9%');
    expect(await pending.locator('.countdown').textContent()).toMatch(/^(29|30)m \d\ds$/);
    expect(await pending.locator('img').count()).toBe(0);
    await page.screenshot({ path: await outputPath('console.png'), fullPage: true });

    await pending.getByRole('button', { name: 'Approve…' }).click();
    await page.locator('#decide-notes').fill(XSS_NOTES);
    await page.locator('#decide-confirm').click();
    await page.locator(`[data-card="approval:${id}"][data-status="approved"]`).waitFor();
    const decided = (await card(id).textContent()) ?? '';
    expect(decided).toMatch(new RegExp(`Approved by ${userInfo().username} at [A-Z][a-z]{2} \\d+, \\d\\d:\\d\\d`));
    expect(decided).toContain(`: ${XSS_NOTES}`);
    expect(await card(id).locator('.verdict .person').getAttribute('title')).toBe(operator);
    // No agent runs on this host: "running" would wait for ever, and the card says so.
    expect(await card(id).locator('.result').textContent()).toBe(
      "Result: running: queued for the host's agent — no agent has reported from this host: nothing runs until one does",
    );
    expect(await card(id).getByRole('button', { name: 'Approve…' }).count()).toBe(0);
    // Decided, it leaves the requests waiting for a human and joins the feed.
    expect(await page.locator(`#feed [data-card="approval:${id}"]`).count()).toBe(1);
    expect(await page.locator('#approvals .card').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __xss?: number }).__xss)).toBeUndefined();

    // No agent runs in this test: the approved action waits on the host's queue, once…
    const jobs = await actionJobs(t.redis, host);
    expect(jobs.map((j) => j.id)).toEqual([id]);
    // …and the result an agent reports joins the card's thread.
    await publishFirewallDryRun(t.redis.client(), host, id);
    const reply = card(id).locator('.thread .reply', { hasText: `firewall_port_change on ${host}: dry-run` });
    await reply.waitFor();
    expect(await reply.textContent()).toContain('would run: ufw allow 8443/tcp');
    // …and the card itself now says how it ended.
    await card(id).locator('.result', { hasText: 'Result: dry-run: nothing changed' }).waitFor();

    await page.locator('a[href="#/audit"]').click();
    const row = page.locator('#audit-entries tr[data-type="approval.approved"]', { hasText: id });
    await row.waitFor();
    const cells = await row.locator('td').allTextContents();
    expect(cells).toEqual(
      expect.arrayContaining([host, `${userInfo().username} (${operator})`, 'approved', XSS_NOTES, id]),
    );
    expect(await page.locator('#audit-entries img, #audit-entries b, #audit-entries script').count()).toBe(0);
    expect(await page.locator('#audit-summary').textContent()).toContain('1 approved');
    await page.locator('#audit-verify').click();
    await page.locator('#audit-verify-out', { hasText: 'Audit chain intact' }).waitFor();
    expect(await page.evaluate(() => (globalThis as { __xss?: number }).__xss)).toBeUndefined();
    await page.locator('a[href="#/"]').first().click();
  });

  it('updates an open card when the approval is decided elsewhere (Slack, Discord, the API)', async () => {
    // The name someone acted under once (a Slack click) is shown where a record has only their id.
    await t.bot.chat.names.remember({ platform: 'slack', userId: 'UAPPROVER', displayName: 'Uma' });
    const host = await firewallRequest();
    const id = await approvalCard(host);
    const result = await t.bot.approvals.approve(id, { platform: 'slack', userId: 'UAPPROVER' }, 'approved from Slack');
    expect(result.ok).toBe(true);
    await page.locator(`[data-card="approval:${id}"][data-status="approved"]`).waitFor();
    expect(await card(id).locator('.verdict').textContent()).toMatch(
      /^Approved by Uma at [A-Z][a-z]{2} \d+, \d\d:\d\d.*: approved from Slack$/,
    );
    expect(await card(id).locator('.verdict .person').getAttribute('title')).toBe('slack:UAPPROVER');

    const late = await approvalCard(await firewallRequest());
    expect((await t.bot.approvals.expire(late)).ok).toBe(true);
    await page.locator(`[data-card="approval:${late}"][data-status="expired"]`).waitFor();
    expect(await card(late).locator('.verdict').textContent()).toMatch(/^Expired at .+ — no action taken$/);
  });

  it('needs notes to reject, then shows the rejection', async () => {
    const host = await firewallRequest();
    const id = await approvalCard(host);
    await card(id).getByRole('button', { name: 'Reject…' }).click();
    await page.locator('#decide-confirm').click();
    expect(await page.locator('#decide-error').textContent()).toBe('A rejection needs notes: say why.');
    expect(await page.locator('#decide-dialog').getAttribute('open')).not.toBeNull();
    expect((await t.bot.approvals.get(id))?.status).toBe('pending');
    await page.locator('#decide-notes').fill('port 8443 is not in the change plan');
    await page.locator('#decide-confirm').click();
    await page.locator(`[data-card="approval:${id}"][data-status="rejected"]`).waitFor();
    expect(await card(id).textContent()).toContain('port 8443 is not in the change plan — no action taken');
    expect(await actionJobs(t.redis, host)).toEqual([]);
  });

  it('answers /diagnose and /audit in the command box as chat does', async () => {
    const host = await firewallRequest();
    const input = page.locator('#command-input');
    await input.fill(`/diagnose ${host}`);
    await input.press('Enter');
    const answer = page.locator('#command-out .card', { hasText: `Diagnosis of ${host}` });
    await answer.waitFor();
    expect(await answer.textContent()).toContain('Disk');
    await input.fill('/diagnose');
    await input.press('Enter');
    await page.locator('#command-out .usage', { hasText: 'Which host?' }).waitFor();
    await input.fill(`/audit 1h ${host}`);
    await input.press('Enter');
    await page.locator('#command-out .card', { hasText: `Audit, last 1h for ${host}` }).waitFor();
  });

  it('shows auto-heal notices in the feed, and a host page with its history', async () => {
    const host = `db-${++seq}`;
    for (const disk of [70, 80, 93]) await t.bot.request('/v1/metrics', { body: snapshot({ host, disk_usage: disk }) });
    const notice = page.locator('#feed .card', { hasText: `Auto-heal on ${host}: disk_cleanup` });
    await notice.waitFor();
    expect(await notice.locator('.badge').textContent()).toBe('Auto-heal');
    await t.bot.request('/v1/metrics', { body: snapshot({ host, disk_usage: 50 }) });
    await notice.locator('.reply', { hasText: 'Disk back to 50% (threshold 85)' }).waitFor();
    expect(await notice.getAttribute('class')).toContain('resolved');
    expect(await notice.locator('.badge').textContent()).toBe('Resolved');
    await page.locator(`#hosts-body tr[data-host="${host}"] a`).click();
    await page.locator('#host-view .host-banner', { hasText: host }).waitFor();
    expect(await page.locator('#host-view .chart-box').count()).toBe(4);
    expect(await page.locator('#host-view .chart-box', { hasText: 'Disk' }).textContent()).toContain('50%');
    const line = await page
      .locator('#host-view .chart-box', { hasText: 'Disk' })
      .locator('polyline')
      .getAttribute('points');
    expect(line?.split(' ')).toHaveLength(4);
    expect(await page.locator('#host-view').textContent()).toContain('Open incidents (0)');
    await page.locator('a[href="#/"]').first().click();
    await page.locator('#overview').waitFor();
  });

  it('gives a fresh page the pending approvals and the recent events', async () => {
    const host = await firewallRequest();
    const id = await approvalCard(host);
    await page.reload();
    await page.locator('#live.on').waitFor();
    await card(id).waitFor();
    expect(await card(id).getAttribute('data-status')).toBe('pending');
    expect(await page.locator('#feed [data-status="rejected"]').count()).toBe(1);
    expect(await page.locator('#feed [data-status="approved"]').count()).toBe(2);
    expect(await page.locator('#feed [data-status="expired"]').count()).toBe(1);
    await page.locator('#feed .card', { hasText: 'Auto-heal on db-' }).waitFor();
    expect(await page.locator('#pending-count').textContent()).toBe('2');
    // The first test's result, replayed from the stream into its card's thread, once.
    expect(await card(firstApproval).locator('.thread .reply').count()).toBe(1);
    expect(await card(id).textContent()).toContain('Now on host');
  });

  it('fits laptop and wide screens without sideways scrolling', async () => {
    for (const width of [1280, 1920, 2560]) {
      await page.setViewportSize({ width, height: 900 });
      // A string, so that it runs in the page: this test's TypeScript has no DOM types.
      const overflow = await page.evaluate<{ page: number; hosts: number }>(`({
        page: document.documentElement.scrollWidth - window.innerWidth,
        hosts: document.querySelector('.table-wrap').scrollWidth - document.querySelector('.table-wrap').clientWidth,
      })`);
      expect({ width, ...overflow }).toEqual({ width, page: 0, hosts: 0 });
    }
  });

  it('keeps a screenshot of the overview', async () => {
    await page.setViewportSize({ width: 1600, height: 1000 });
    await page.screenshot({ path: await outputPath('console-overview.png') });
    if (process.env.UPDATE_CONSOLE_SCREENSHOT)
      await copyFile(await outputPath('console-overview.png'), join(REPO_ROOT, 'docs/console.png'));
  });
});
