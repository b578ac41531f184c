import { z } from 'zod';
import { consoleTokenMissing } from '../../src/config/env.js';
import { isLoopbackHost } from '../../src/config/loopback.js';
import type { Principal } from '../../src/core/policy/approvers.js';
import { bearerMatches } from '../../src/http/auth.js';

/** The header every state-changing request carries; a cross-site form or image cannot set it. */
const CSRF_HEADER = 'x-healgate-console';
/** With a token: the name the operator signed in as. */
const OPERATOR_HEADER = 'x-healgate-operator';

export const operatorNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/, { error: 'letters, digits and . _ @ - (up to 64), e.g. alice' });

/**
 * Who the console acts for.
 * - `local`: bound to loopback without CONSOLE_TOKEN. Whoever can reach the
 *   port is on this machine, so the operator is `console:<OS user>` and is a
 *   local operator (the policy's `approval.local_console_operator_approves`).
 * - `token`: CONSOLE_TOKEN is set. Every API request carries the token, and
 *   acts as `console:<name>` given at sign-in, who must be an approver like
 *   anyone else. The token is shared: the name attributes, it does not
 *   authenticate (the principal says `shared-token`, in the UI and the audit).
 * - `proxy`: CONSOLE_TRUSTED_PROXIES is set. A request from one of those
 *   addresses acts as `console:<X-Forwarded-User>` with its
 *   X-Forwarded-Groups, as oauth2-proxy sends them after its login; the same
 *   headers from anywhere else are ignored, and such a request is the token's
 *   (if there is one) or refused.
 * - `oidc`: OIDC_ISSUER_URL is set. A request with a live session cookie
 *   (see oidc.ts) acts as `console:<user claim>` with its groups; any other
 *   is the token's (if there is one) or refused.
 */
export type ConsoleMode =
  | { readonly kind: 'local'; readonly user: string }
  | { readonly kind: 'token'; readonly token: string }
  | { readonly kind: 'proxy'; readonly proxies: readonly string[]; readonly token?: string }
  | { readonly kind: 'oidc'; readonly token?: string };

export class ConsoleConfigError extends Error {
  override readonly name = 'ConsoleConfigError';
}

export function consoleMode(
  httpHost: string,
  token: string | undefined,
  osUser: string,
  proxies: readonly string[] = [],
  oidc = false,
): ConsoleMode {
  if (oidc) return { kind: 'oidc', ...(token !== undefined ? { token } : {}) };
  if (proxies.length > 0) return { kind: 'proxy', proxies, ...(token !== undefined ? { token } : {}) };
  if (token !== undefined) return { kind: 'token', token };
  if (!isLoopbackHost(httpHost)) throw new ConsoleConfigError(consoleTokenMissing(httpHost));
  return { kind: 'local', user: operatorNameSchema.safeParse(osUser).success ? osUser : 'operator' };
}

export interface RequestFacts {
  readonly method: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The TCP peer (never a forwarded-for header): who may vouch for a user. */
  readonly remoteAddress?: string;
  /** The OpenID Connect session the request's cookie names, looked up by the caller. */
  readonly session?: { readonly user: string; readonly groups: readonly string[] };
}

/** `::ffff:10.0.0.5` is 10.0.0.5: a dual-stack socket reports IPv4 peers that way. */
const plainAddress = (a: string | undefined) => (a?.startsWith('::ffff:') ? a.slice(7) : a);

const groupsSchema = z.array(operatorNameSchema).max(64);

/** The user the trusted proxy signed in, with the groups it vouches for. */
function proxyIdentity(facts: RequestFacts): Identity {
  const user = operatorNameSchema.safeParse(header(facts, 'x-forwarded-user') ?? '');
  if (!user.success)
    return { ok: false, status: 401, error: `X-Forwarded-User from the proxy: ${user.error.issues[0]?.message}` };
  const listed = (header(facts, 'x-forwarded-groups') ?? '')
    .split(',')
    .map((g) => g.trim())
    .filter((g) => g !== '');
  const groups = groupsSchema.safeParse(listed);
  if (!groups.success)
    return { ok: false, status: 400, error: `X-Forwarded-Groups from the proxy: ${groups.error.issues[0]?.message}` };
  const email = header(facts, 'x-forwarded-email');
  return {
    ok: true,
    principal: {
      platform: 'console',
      userId: user.data,
      displayName: email && email.length <= 200 ? email : user.data,
      groups: groups.data,
      auth: 'proxy',
    },
  };
}

function tokenIdentity(token: string, facts: RequestFacts): Identity {
  if (!bearerMatches(header(facts, 'authorization'), token))
    return { ok: false, status: 401, error: 'missing or wrong console token (CONSOLE_TOKEN)' };
  const name = operatorNameSchema.safeParse(header(facts, OPERATOR_HEADER) ?? '');
  if (!name.success) return { ok: false, status: 400, error: `${OPERATOR_HEADER}: ${name.error.issues[0]?.message}` };
  return {
    ok: true,
    principal: { platform: 'console', userId: name.data, displayName: name.data, auth: 'shared-token' },
  };
}

export type Identity =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly status: 400 | 401 | 403; readonly error: string };

const header = (facts: RequestFacts, name: string): string | undefined => {
  const v = facts.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/** `localhost:8080`, `127.0.0.1:8080`, `[::1]:8080`: a Host a DNS-rebinding page cannot send. */
function loopbackHostHeader(host: string | undefined): boolean {
  if (!host) return false;
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
  return isLoopbackHost(name);
}

/**
 * A state-changing request must come from the console's own page: the
 * custom header (a cross-site form cannot set it, and a cross-site fetch
 * setting it needs a CORS preflight the console never answers), and, where
 * the browser says where it comes from, the same origin.
 */
function crossSiteRefusal(facts: RequestFacts): string | undefined {
  if (header(facts, CSRF_HEADER) !== '1')
    return `missing the ${CSRF_HEADER} header: requests must come from the console page`;
  const site = header(facts, 'sec-fetch-site');
  if (site !== undefined && site !== 'same-origin') return `cross-site request refused (Sec-Fetch-Site: ${site})`;
  const origin = header(facts, 'origin');
  const host = header(facts, 'host');
  if (origin !== undefined && (!host || (origin !== `http://${host}` && origin !== `https://${host}`)))
    return `cross-site request refused (Origin ${origin.slice(0, 100)})`;
  return undefined;
}

const SAFE_METHODS = new Set(['GET', 'HEAD']);

/** Who is making this console API request, or why it is refused. Pure: headers in, decision out. */
export function identify(mode: ConsoleMode, facts: RequestFacts): Identity {
  if (!SAFE_METHODS.has(facts.method)) {
    const refusal = crossSiteRefusal(facts);
    if (refusal) return { ok: false, status: 403, error: refusal };
  }
  if (mode.kind === 'local') {
    if (!loopbackHostHeader(header(facts, 'host')))
      return { ok: false, status: 403, error: 'this console answers only to a loopback Host (localhost, 127.0.0.1)' };
    return {
      ok: true,
      principal: { platform: 'console', userId: mode.user, displayName: mode.user, localOperator: true, auth: 'local' },
    };
  }
  if (mode.kind === 'token') return tokenIdentity(mode.token, facts);
  if (mode.kind === 'oidc') {
    const s = facts.session;
    if (s)
      return {
        ok: true,
        principal: { platform: 'console', userId: s.user, displayName: s.user, groups: s.groups, auth: 'oidc' },
      };
    if (mode.token !== undefined) return tokenIdentity(mode.token, facts);
    return { ok: false, status: 401, error: 'sign in at /console/oidc/login' };
  }
  if (mode.proxies.includes(plainAddress(facts.remoteAddress) ?? '')) return proxyIdentity(facts);
  if (mode.token !== undefined) return tokenIdentity(mode.token, facts);
  return { ok: false, status: 401, error: "sign in through the console's authenticating proxy" };
}
