import { describe, expect, it } from 'vitest';
import { auditEntriesOf, useBot } from '../helpers/bot.js';
import { approvalIdOf, requestFirewall } from './fixtures.js';
import { raw } from './http.js';

/** The authenticating proxy (oauth2-proxy's place) connects from this loopback address; the test plays it. */
const PROXY = '127.0.0.2';
const TOKEN = 'console-shared-token';
const t = useBot({
  CONSOLE_TRUSTED_PROXIES: PROXY,
  CONSOLE_TOKEN: TOKEN,
  APPROVERS: 'console:alice,console-group:sre',
});

const SAME_SITE = { 'x-healgate-console': '1' };
/** What oauth2-proxy adds after its login. */
const signedIn = (user: string, groups: string) => ({
  'x-forwarded-user': user,
  'x-forwarded-groups': groups,
  'x-forwarded-email': `${user}@example.com`,
});

let seq = 0;
async function pendingApproval(): Promise<{ host: string; id: string }> {
  const host = `proxy-${++seq}`;
  await requestFirewall(t.bot, host);
  return { host, id: await approvalIdOf(t.bot, host) };
}

type AuditPage = { entries: { type: string; actor?: string; data: { auth?: string } }[] };
const decisions = (host: string) =>
  auditEntriesOf<AuditPage['entries'][number]>(t.bot, `host=${host}&type=approval.approved`);
const status = async (id: string) => (await t.bot.approvals.get(id))?.status;

describe('the console behind an authenticating proxy', () => {
  it("acts as the proxy's verified user, whose group may approve, and the audit says how it knew", async () => {
    const session = await raw(t.bot.url, '/console/api/session', {
      localAddress: PROXY,
      headers: signedIn('bob', 'dev,sre'),
    });
    expect(session).toMatchObject({
      status: 200,
      body: {
        mode: 'proxy',
        principal: { id: 'console:bob', name: 'bob@example.com', auth: 'proxy', groups: ['dev', 'sre'] },
      },
    });
    const { host, id } = await pendingApproval();
    const approved = await raw(t.bot.url, `/console/api/approvals/${id}/approve`, {
      localAddress: PROXY,
      headers: { ...SAME_SITE, ...signedIn('bob', 'dev,sre') },
      body: { notes: 'checked the port with the service owner' },
    });
    expect(approved.status).toBe(200);
    expect(await decisions(host)).toEqual([
      expect.objectContaining({ actor: 'console:bob', data: expect.objectContaining({ auth: 'proxy' }) as unknown }),
    ]);
  });

  it('ignores the same headers from any other address: no user, no group', async () => {
    const { id } = await pendingApproval();
    const path = `/console/api/approvals/${id}/approve`;
    const body = { notes: 'forged' };
    // Straight to the bot, past the proxy, claiming its headers.
    const bare = await raw(t.bot.url, path, { headers: { ...SAME_SITE, ...signedIn('bob', 'sre') }, body });
    expect(bare.status).toBe(401);
    // With the shared token, it is whoever the name says, labelled as such, and the forged group counts for nothing.
    const shared = { ...SAME_SITE, ...signedIn('bob', 'sre'), authorization: `Bearer ${TOKEN}` };
    const session = await raw(t.bot.url, '/console/api/session', {
      headers: { ...shared, 'x-healgate-operator': 'mallory' },
    });
    expect(session.body).toMatchObject({ principal: { id: 'console:mallory', auth: 'shared-token', groups: [] } });
    const asMallory = await raw(t.bot.url, path, { headers: { ...shared, 'x-healgate-operator': 'mallory' }, body });
    expect(asMallory).toMatchObject({ status: 403, body: { reason: 'not_approver' } });
    expect(await status(id)).toBe('pending');
  });

  it('refuses a request from the proxy that names no user', async () => {
    const r = await raw(t.bot.url, '/console/api/session', { localAddress: PROXY });
    expect(r.status).toBe(401);
    expect((r.body as { error: string }).error).toMatch(/^X-Forwarded-User from the proxy: /);
  });

  it('labels a decision made with the shared token as such in the audit', async () => {
    const { host, id } = await pendingApproval();
    const r = await raw(t.bot.url, `/console/api/approvals/${id}/approve`, {
      headers: { ...SAME_SITE, authorization: `Bearer ${TOKEN}`, 'x-healgate-operator': 'alice' },
      body: { notes: 'ok' },
    });
    expect(r.status).toBe(200);
    expect(await decisions(host)).toEqual([
      expect.objectContaining({
        actor: 'console:alice',
        data: expect.objectContaining({ auth: 'shared-token' }) as unknown,
      }),
    ]);
  });
});
