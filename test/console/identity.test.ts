import { describe, expect, it } from 'vitest';
import { compareIds } from '../../adapters/console/items.js';
import { consoleMode, identify } from '../../adapters/console/identity.js';
import { agentView } from '../../adapters/console/hosts.js';

const local = consoleMode('127.0.0.1', undefined, 'ops');
const token = consoleMode('0.0.0.0', 'tkn', 'ops');
const get = (headers: Record<string, string>) => ({ method: 'GET', headers });
const post = (headers: Record<string, string>) => ({ method: 'POST', headers });

describe('console identity', () => {
  it('is the OS user as local operator on loopback, and needs a token beyond it', () => {
    expect(identify(local, get({ host: '127.0.0.1:8080' }))).toEqual({
      ok: true,
      principal: { platform: 'console', userId: 'ops', displayName: 'ops', localOperator: true, auth: 'local' },
    });
    for (const host of ['localhost:8080', '[::1]:8080', '127.0.0.1'])
      expect(identify(local, get({ host })).ok).toBe(true);
    expect(identify(local, get({ host: 'attacker.example:8080' }))).toMatchObject({ ok: false, status: 403 });
    expect(() => consoleMode('10.0.0.5', undefined, 'ops')).toThrow(/^CONSOLE_TOKEN: required/);
    // A user name the principal pattern cannot hold is not trusted as one.
    expect(consoleMode('::1', undefined, 'weird user<')).toEqual({ kind: 'local', user: 'operator' });
  });

  it('with a token, acts as the signed-in name and never as a local operator', () => {
    const auth = { host: 'bot.example:8080', authorization: 'Bearer tkn', 'x-healgate-operator': 'alice' };
    expect(identify(token, get(auth))).toEqual({
      ok: true,
      principal: { platform: 'console', userId: 'alice', displayName: 'alice', auth: 'shared-token' },
    });
    expect(identify(token, get({ ...auth, authorization: 'Bearer tkn2' }))).toMatchObject({ status: 401 });
    expect(identify(token, get({ ...auth, 'x-healgate-operator': 'alice bob' }))).toMatchObject({ status: 400 });
  });

  it('refuses state changes without the console header or from another origin', () => {
    const same = { host: '127.0.0.1:8080', 'x-healgate-console': '1' };
    expect(identify(local, post(same)).ok).toBe(true);
    expect(
      identify(local, post({ ...same, origin: 'http://127.0.0.1:8080', 'sec-fetch-site': 'same-origin' })).ok,
    ).toBe(true);
    expect(identify(local, post({ host: same.host }))).toMatchObject({ status: 403 });
    expect(identify(local, post({ ...same, origin: 'http://127.0.0.1:9999' }))).toMatchObject({ status: 403 });
    expect(identify(local, post({ ...same, 'sec-fetch-site': 'same-site' }))).toMatchObject({ status: 403 });
    expect(identify(local, post({ ...same, origin: 'null' }))).toMatchObject({ status: 403 });
  });
});

describe('console feed helpers', () => {
  it('orders stream ids by time, then sequence', () => {
    expect(compareIds('1700000000000-10', '1700000000000-9')).toBe(1);
    expect(compareIds('1700000000000-0', '1700000000001-0')).toBe(-1);
    expect(compareIds('5-5', '5-5')).toBe(0);
  });

  it("shows an agent alive until it misses the policy's multiple of heartbeats, and none without one", () => {
    const now = 1_000_000;
    expect(agentView({}, now, 3)).toBeNull();
    expect(
      agentView({ last_seen: String(now - 40_000), interval_ms: '15000', version: '0.1.0' }, now, 3),
    ).toMatchObject({ alive: true, version: '0.1.0' });
    expect(agentView({ last_seen: String(now - 50_000), interval_ms: '15000' }, now, 3)).toMatchObject({
      alive: false,
    });
    // A policy that allows five missed beats: the same agent is still alive.
    expect(agentView({ last_seen: String(now - 50_000), interval_ms: '15000' }, now, 5)).toMatchObject({ alive: true });
  });
});
