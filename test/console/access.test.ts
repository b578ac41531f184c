import { userInfo } from 'node:os';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleAdapter } from '../../adapters/console/index.js';
import { compareIds } from '../../adapters/console/items.js';
import { loadConfig } from '../../src/config/env.js';
import { createLogger } from '../../src/log.js';
import { startTestBot, useBot, type TestBot } from '../helpers/bot.js';
import { runCli } from '../helpers/cli.js';
import { launchBrowser, type TestBrowser } from './browser.js';
import { approvalIdOf, requestFirewall } from './fixtures.js';
import { raw, readEvents, type SseEvent } from './http.js';

const t = useBot();
const TOKEN = 'console-secret-1';
/** A second replica on the same Redis, with a console token: it does not hold the notifier lease. */
let tokenBot: TestBot;
let browser: TestBrowser;

beforeAll(async () => {
  tokenBot = await startTestBot(t.redis, { CONSOLE_TOKEN: TOKEN });
  browser = await launchBrowser({ width: 1280, height: 800 });
});
afterAll(async () => {
  // With a page still connected: closing must not wait for its event stream.
  await tokenBot?.close();
  await browser?.close();
});

const SAME_SITE = { 'x-healgate-console': '1' };
let seq = 0;
async function pendingApproval(): Promise<{ host: string; id: string }> {
  const host = `acc-${++seq}`;
  await requestFirewall(t.bot, host);
  return { host, id: await approvalIdOf(t.bot, host) };
}

describe('on loopback without a token', () => {
  it('acts as the local operator, console:<OS user>', async () => {
    const r = await raw(t.bot.url, '/console/api/session');
    expect(r).toMatchObject({
      status: 200,
      body: {
        mode: 'local',
        principal: { id: `console:${userInfo().username}`, local_operator: true },
        local_operator_approves: true,
      },
    });
    expect(r.headers['content-security-policy']).toContain("script-src 'self'");
  });

  it('refuses cross-site state changes and a DNS-rebound Host, and changes nothing', async () => {
    const { host, id } = await pendingApproval();
    const path = `/console/api/approvals/${id}/approve`;
    const body = { notes: 'forged' };
    const refusals = [
      await raw(t.bot.url, path, { body }),
      await raw(t.bot.url, path, { body, headers: { ...SAME_SITE, origin: 'http://evil.example' } }),
      await raw(t.bot.url, path, { body, headers: { ...SAME_SITE, 'sec-fetch-site': 'cross-site' } }),
      await raw(t.bot.url, path, { body, headers: { ...SAME_SITE, host: 'evil.example:8080' } }),
    ];
    expect(refusals.map((r) => r.status)).toEqual([403, 403, 403, 403]);
    expect(refusals.map((r) => (r.body as { error: string }).error)).toEqual([
      'missing the x-healgate-console header: requests must come from the console page',
      'cross-site request refused (Origin http://evil.example)',
      'cross-site request refused (Sec-Fetch-Site: cross-site)',
      'this console answers only to a loopback Host (localhost, 127.0.0.1)',
    ]);
    const rebound = await raw(t.bot.url, '/console/api/hosts', { headers: { host: 'evil.example' } });
    expect(rebound.status).toBe(403);
    expect((await t.bot.approvals.get(id))?.status).toBe('pending');
    const audit = await t.bot.request(`/v1/audit?window=1h&host=${host}&type=approval.approved`);
    expect((audit.body as { entries: unknown[] }).entries).toEqual([]);

    const own = await raw(t.bot.url, path, {
      body: { notes: 'same origin' },
      headers: { ...SAME_SITE, origin: t.bot.url, 'sec-fetch-site': 'same-origin' },
    });
    expect(own).toMatchObject({ status: 200, body: { ok: true, item: { approval: { id, status: 'approved' } } } });
  });

  it('validates what it is sent', async () => {
    const send = async (path: string, body: unknown) => {
      const r = await raw(t.bot.url, `/console/api${path}`, { body, headers: SAME_SITE });
      return { status: r.status, ...(r.body as { error?: string; message?: string; reason?: string }) };
    };
    const none = 'apr-0000000000000000';
    expect(await send('/command', { text: 'rm -rf /' })).toMatchObject({ status: 400 });
    expect((await send('/command', { text: 'rm -rf /' })).error).toContain('type a command such as /diagnose host-1');
    expect((await send('/command', { text: '/diagnose', extra: 1 })).status).toBe(400);
    expect((await send(`/approvals/${none}/approve`, { notes: 42 })).error).toMatch(/^notes: /);
    expect((await send('/approvals/not-an-id/approve', {})).error).toMatch(/^id: not an approval id/);
    expect((await send(`/approvals/${none}/delete`, {})).error).toMatch(/^verdict: /);
    expect(await send(`/approvals/${none}/approve`, {})).toMatchObject({ status: 404, reason: 'not_found' });
    const usage = await send('/command', { text: '/diagnose' });
    expect(usage).toMatchObject({ status: 200, ok: false });
    expect(usage.message).toContain('Which host? Usage: /diagnose <host>');
  });

  it('refuses a JSON null body on approve and reject, and the approval stays pending', async () => {
    const { id } = await pendingApproval();
    for (const verdict of ['approve', 'reject']) {
      const r = await raw(t.bot.url, `/console/api/approvals/${id}/${verdict}`, { body: null, headers: SAME_SITE });
      expect(r.status).toBe(400);
    }
    expect((await t.bot.approvals.get(id))?.status).toBe('pending');
  });

  it('streams a backlog to a fresh page and resumes after Last-Event-ID', async () => {
    const first = await pendingApproval();
    const isReady = (events: readonly SseEvent[]) => events.some((e) => e.event === 'ready');
    const fresh = await readEvents(t.bot.url, {}, isReady);
    const items = fresh.filter((e) => e.event === 'item').map((e) => e.data as { card: string; mode: string });
    expect(items).toContainEqual(expect.objectContaining({ card: `approval:${first.id}`, mode: 'post' }));
    const lastId = fresh.filter((e) => e.id).at(-1)!.id!;

    const second = await pendingApproval();
    const resumed = await readEvents(t.bot.url, { 'last-event-id': lastId }, isReady);
    const cards = resumed.filter((e) => e.event === 'item').map((e) => (e.data as { card: string }).card);
    expect(cards).toContain(`approval:${second.id}`);
    expect(cards).not.toContain(`approval:${first.id}`);
    expect(resumed.every((e) => e.id === undefined || compareIds(e.id, lastId) > 0)).toBe(true);
  });
});

describe('with CONSOLE_TOKEN', () => {
  const auth = { authorization: `Bearer ${TOKEN}`, 'x-healgate-operator': 'alice' };

  it('serves the page but no data without the token, and acts as the name given', async () => {
    const page = await raw(tokenBot.url, '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    for (const path of ['/console/api/session', '/console/api/hosts', '/console/api/events', '/console/api/audit']) {
      const r = await raw(tokenBot.url, path);
      expect(r).toMatchObject({ status: 401, body: { mode: 'token' } });
    }
    const tokenless = await raw(tokenBot.url, '/console/api/command', {
      body: { text: '/audit verify' },
      headers: { ...SAME_SITE, 'x-healgate-operator': 'alice' },
    });
    expect(tokenless).toMatchObject({ status: 401, body: { error: 'missing or wrong console token (CONSOLE_TOKEN)' } });
    const wrong = await raw(tokenBot.url, '/console/api/session', {
      headers: { ...auth, authorization: 'Bearer nope' },
    });
    expect(wrong.status).toBe(401);
    const nameless = await raw(tokenBot.url, '/console/api/session', {
      headers: { authorization: auth.authorization },
    });
    expect(nameless.status).toBe(400);
    const ok = await raw(tokenBot.url, '/console/api/session', { headers: auth });
    expect(ok).toMatchObject({
      status: 200,
      body: { mode: 'token', principal: { id: 'console:alice', local_operator: false } },
    });
    const forged = await raw(tokenBot.url, '/console/api/command', {
      body: { text: '/audit verify' },
      headers: { ...auth, ...SAME_SITE, origin: 'http://evil.example' },
    });
    expect(forged.status).toBe(403);
  });

  it('asks for the token in the page; only listed approvers may approve', async () => {
    const { id } = await pendingApproval();
    const page: Page = await browser.context.newPage();
    page.setDefaultTimeout(10_000);
    await page.goto(tokenBot.url);
    const form = page.locator('#signin-form');
    await form.waitFor();
    expect(await page.locator('#app').isHidden()).toBe(true);

    await form.locator('input[name=token]').fill('not the token');
    await form.locator('input[name=name]').fill('bob');
    await form.locator('button[type=submit]').click();
    await page.locator('#signin-error', { hasText: 'missing or wrong console token' }).waitFor();

    await form.locator('input[name=token]').fill(TOKEN);
    await form.locator('input[name=name]').fill('bob');
    await form.locator('button[type=submit]').click();
    await page.locator('#who', { hasText: 'console:bob' }).waitFor();
    // A second replica: the card comes from its own read of the stream, whichever replica holds the notifier lease.
    const card = page.locator(`[data-card="approval:${id}"]`);
    await card.getByRole('button', { name: 'Approve…' }).click();
    await page.locator('#decide-confirm').click();
    await page
      .locator('#decide-error', { hasText: 'console:bob is not an approver for firewall_port_change.' })
      .waitFor();
    expect((await t.bot.approvals.get(id))?.status).toBe('pending');
    await page.locator('#decide-cancel').click();

    await page.locator('#signout').click();
    await form.waitFor();
    await form.locator('input[name=token]').fill(TOKEN);
    await form.locator('input[name=name]').fill('alice');
    await form.locator('button[type=submit]').click();
    await page.locator('#who', { hasText: 'console:alice' }).waitFor();
    await card.getByRole('button', { name: 'Approve…' }).click();
    await page.locator('#decide-notes').fill('alice checked it');
    await page.locator('#decide-confirm').click();
    await page.locator(`[data-card="approval:${id}"][data-status="approved"]`).waitFor();
    expect(await card.locator('.verdict').textContent()).toMatch(/^Approved by alice at .+: alice checked it$/);
    expect(await card.locator('.verdict .person').getAttribute('title')).toBe('console:alice');
  });
});

describe('off loopback', () => {
  it('refuses to start without CONSOLE_TOKEN', async () => {
    const { code, stderr } = await runCli(['bot'], {
      env: { REDIS_URL: t.redis.botUrl, HTTP_HOST: '0.0.0.0', INGEST_TOKEN: 'ingest-secret' },
    });
    expect(code).toBe(2);
    expect(stderr).toMatch(/CONSOLE_TOKEN: required because HTTP_HOST 0\.0\.0\.0 is not a loopback address/);
  });

  it('will not build the console from a configuration that bypassed validation', () => {
    const result = loadConfig({ HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'silent' });
    if (!result.ok) throw new Error(result.errors.join('; '));
    const context = {
      config: { ...result.config, httpHost: '0.0.0.0' },
      services: t.bot.chat,
      logger: createLogger('silent'),
      redis: t.redis.client(),
    };
    expect(() => consoleAdapter.create(context)).toThrow(/^CONSOLE_TOKEN: required because HTTP_HOST 0\.0\.0\.0/);
  });
});
