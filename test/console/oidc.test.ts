import type { Server } from 'node:http';
import Provider from 'oidc-provider';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import { auditEntriesOf, eventually, startTestBot, type TestBot } from '../helpers/bot.js';
import { freePort, startRedis, type TestRedis } from '../helpers/redis.js';
import { launchBrowser, type TestBrowser } from './browser.js';
import { approvalIdOf, requestFirewall } from './fixtures.js';

let redis: TestRedis;
let bot: TestBot;
let provider: Server;
let browser: TestBrowser;
let page: Page;

beforeAll(async () => {
  const [botPort, providerPort] = await Promise.all([freePort(), freePort()]);
  const base = `http://127.0.0.1:${botPort}`;
  const issuer = `http://127.0.0.1:${providerPort}`;
  // A real OpenID provider on loopback; its development login takes any name (the password is not checked).
  const op = new Provider(issuer, {
    clients: [
      {
        client_id: 'healgate',
        client_secret: 'healgate-test-secret',
        redirect_uris: [`${base}/console/oidc/callback`],
        post_logout_redirect_uris: [`${base}/`],
      },
    ],
    claims: { openid: ['sub'], profile: ['preferred_username'], groups: ['groups'] },
    findAccount: (_ctx, id) => ({
      accountId: id,
      claims: () => ({ sub: id, preferred_username: id, groups: id === 'bob' ? ['sre'] : [] }),
    }),
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    cookies: { keys: ['oidc-test-cookie-key'] },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
  });
  provider = op.listen(providerPort, '127.0.0.1');
  redis = await startRedis();
  bot = await startTestBot(redis, {
    HTTP_PORT: String(botPort),
    OIDC_ISSUER_URL: issuer,
    OIDC_CLIENT_ID: 'healgate',
    OIDC_CLIENT_SECRET: 'healgate-test-secret',
    OIDC_REDIRECT_URL: `${base}/console/oidc/callback`,
    APPROVERS: 'console-group:sre',
  });
  browser = await launchBrowser({ width: 1280, height: 800 });
  page = await browser.context.newPage();
});

afterAll(async () => {
  await browser?.close();
  await bot?.close();
  await redis?.stop();
  await new Promise((r) => provider?.close(r));
});

const session = () =>
  page.evaluate(async () => {
    const r = await fetch('/console/api/session');
    return { status: r.status, body: (await r.json()) as { principal?: { id: string; auth: string } } };
  });

describe('console sign-in with OpenID Connect', () => {
  it('signs in at the provider, approves as the verified user, and signs out', async () => {
    await page.goto(bot.url);
    // The console sends the browser to the provider, whose login page asks who this is.
    await page.waitForURL(/\/interaction\//, { timeout: 15_000 });
    await page.fill('input[name=login]', 'bob');
    await page.fill('input[name=password]', 'anything');
    await page.click('button[type=submit]');
    // Consent, then back to the console with a session.
    await page.waitForURL(/\/interaction\//, { timeout: 15_000 });
    await page.click('button[type=submit]');
    await page.waitForURL(`${bot.url}/`, { timeout: 15_000 });
    await eventually(async () => ((await page.textContent('#who'))?.startsWith('console:bob') ? true : undefined));
    expect(await page.textContent('#who')).toBe('console:bob · signed in');
    expect((await session()).body.principal).toMatchObject({ id: 'console:bob', auth: 'oidc' });

    // bob's group may approve; the audit names him and how he was known.
    await requestFirewall(bot, 'oidc-1');
    const id = await approvalIdOf(bot, 'oidc-1');
    const approved = await page.evaluate(async (path) => {
      const r = await fetch(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-healgate-console': '1' },
        body: JSON.stringify({ notes: 'checked with the service owner' }),
      });
      return r.status;
    }, `/console/api/approvals/${id}/approve`);
    expect(approved).toBe(200);
    const entries = await auditEntriesOf<{ actor: string; data: { auth: string } }>(
      bot,
      'host=oidc-1&type=approval.approved',
    );
    expect(entries.map((e) => [e.actor, e.data.auth])).toEqual([['console:bob', 'oidc']]);

    // Sign out: the session is gone here, and the provider is asked to end its own.
    await page.goto(`${bot.url}/console/oidc/logout`);
    await page.waitForURL(/127\.0\.0\.1:\d+\/session\/end/, { timeout: 15_000 });
    await page.click('button[autofocus], button[type=submit]');
    // Wait for the confirmation to have left the sign-out page: a later navigation must not be overtaken by it.
    await page.waitForURL((url) => !/\/session\/end$/.test(url.pathname), { timeout: 15_000 });
    await page.waitForLoadState('load');
    await page.goto(`${bot.url}/console/api/session`);
    expect((await session()).status).toBe(401);
  });

  it('refuses a callback that this browser did not start', async () => {
    const r = await fetch(`${bot.url}/console/oidc/callback?code=forged&state=forged`);
    expect(r.status).toBe(403);
    expect(await r.text()).toBe('Not signed in: this sign-in was not started here, or took too long: sign in again.');
  });

  it('is configured all at once or not at all, and not beside a trusted proxy', () => {
    const half = loadConfig({ OIDC_ISSUER_URL: 'https://id.example', CONSOLE_TRUSTED_PROXIES: '10.0.0.5' });
    expect(half.ok).toBe(false);
    if (half.ok) return;
    expect(half.errors).toEqual([
      'OIDC_CLIENT_ID: required because OIDC_ISSUER_URL is set',
      'OIDC_CLIENT_SECRET: required because OIDC_ISSUER_URL is set',
      'OIDC_REDIRECT_URL: required because OIDC_ISSUER_URL is set',
      'OIDC_ISSUER_URL: the console signs people in either itself or through a proxy: unset CONSOLE_TRUSTED_PROXIES or OIDC_ISSUER_URL',
    ]);
  });
});
