import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import * as oidc from 'openid-client';
import { z } from 'zod';
import type { OidcConfig } from '../../src/config/types.js';
import { isLoopbackHost } from '../../src/config/loopback.js';
import { keys } from '../../src/redis/keys.js';
import { operatorNameSchema } from './identity.js';

const SESSION_COOKIE = 'healgate_session';
const LOGIN_COOKIE = 'healgate_login';
/** A working day; then the provider is asked again. */
const SESSION_TTL_S = 8 * 3600;
/** Time to type a password at the provider. */
const LOGIN_TTL_S = 600;

/** Who the provider said signed in: what a console session holds. */
export interface OidcUser {
  readonly user: string;
  readonly groups: readonly string[];
}

const loginSchema = z.strictObject({ verifier: z.string(), state: z.string() });
const sessionSchema = z.strictObject({
  user: operatorNameSchema,
  groups: z.array(operatorNameSchema),
  id_token: z.string(),
});

export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

/** Sessions are stored by the hash of their cookie: a Redis dump holds no usable session. */
const sessionKey = (id: string) => keys.consoleSession(createHash('sha256').update(id).digest('hex'));

function cookie(name: string, value: string, maxAge: number, secure: boolean): string {
  return `${name}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${secure ? '; Secure' : ''}`;
}

/**
 * OpenID Connect login for the console (authorization code flow with PKCE,
 * openid-client): the provider authenticates the person, the console keeps
 * a session in Redis (any replica can serve it), and the person acts as
 * `console:<user claim>` with the groups claim for `console-group:` entries.
 */
export class OidcLogin {
  private configuration: Promise<oidc.Configuration> | undefined;
  private readonly secure: boolean;
  readonly redirectUrl: string;

  constructor(
    private readonly settings: OidcConfig,
    private readonly redis: Redis,
  ) {
    this.redirectUrl = settings.redirectUrl;
    this.secure = new URL(settings.redirectUrl).protocol === 'https:';
  }

  /** Discovered once; a failed discovery (the provider was down) is tried again on the next login. */
  private config(): Promise<oidc.Configuration> {
    this.configuration ??= (async () => {
      const issuer = new URL(this.settings.issuerUrl);
      // Plain http only to a provider on this machine (development, tests).
      const insecure = issuer.protocol === 'http:' && isLoopbackHost(issuer.hostname);
      return oidc.discovery(issuer, this.settings.clientId, this.settings.clientSecret, undefined, {
        ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}),
      });
    })();
    this.configuration.catch(() => (this.configuration = undefined));
    return this.configuration;
  }

  /** Where to send the browser, and the cookie that binds the answer to this browser. */
  async start(): Promise<{ location: string; setCookie: string }> {
    const config = await this.config();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    await this.redis.set(keys.consoleLogin(state), JSON.stringify({ verifier, state }), 'EX', LOGIN_TTL_S);
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.settings.redirectUrl,
      scope: 'openid profile email groups',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    return { location: url.href, setCookie: cookie(LOGIN_COOKIE, state, LOGIN_TTL_S, this.secure) };
  }

  /** The provider's answer: a session cookie, or why there is none. */
  async finish(
    currentUrl: URL,
    cookieHeader: string | undefined,
  ): Promise<{ ok: true; setCookie: string[]; user: OidcUser } | { ok: false; error: string }> {
    const state = cookieValue(cookieHeader, LOGIN_COOKIE) ?? '';
    const raw = state ? await this.redis.getdel(keys.consoleLogin(state)) : null;
    const login = raw ? loginSchema.safeParse(JSON.parse(raw)) : undefined;
    if (!login?.success)
      return { ok: false, error: 'this sign-in was not started here, or took too long: sign in again' };
    const config = await this.config();
    let claims: Record<string, unknown>;
    let idToken: string;
    try {
      const tokens = await oidc.authorizationCodeGrant(config, currentUrl, {
        pkceCodeVerifier: login.data.verifier,
        expectedState: login.data.state,
      });
      const id = tokens.claims();
      if (!id || !tokens.id_token) return { ok: false, error: 'the provider sent no ID token' };
      const info = await oidc.fetchUserInfo(config, tokens.access_token, id.sub);
      claims = { ...id, ...info };
      idToken = tokens.id_token;
    } catch (err) {
      return { ok: false, error: `the provider did not confirm the sign-in: ${(err as Error).message}` };
    }
    const user = operatorNameSchema.safeParse(claims[this.settings.userClaim]);
    if (!user.success)
      return {
        ok: false,
        error: `the provider's ${this.settings.userClaim} cannot name a console user: ${user.error.issues[0]?.message}`,
      };
    const listed = claims[this.settings.groupsClaim];
    const groups = (Array.isArray(listed) ? listed : []).filter((g) => operatorNameSchema.safeParse(g).success);
    const id = randomBytes(32).toString('base64url');
    const session = { user: user.data, groups: groups as string[], id_token: idToken };
    await this.redis.set(sessionKey(id), JSON.stringify(session), 'EX', SESSION_TTL_S);
    return {
      ok: true,
      user: { user: session.user, groups: session.groups },
      setCookie: [cookie(SESSION_COOKIE, id, SESSION_TTL_S, this.secure), cookie(LOGIN_COOKIE, '', 0, this.secure)],
    };
  }

  /** The signed-in person of a request, if its cookie names a live session. */
  async user(cookieHeader: string | undefined): Promise<OidcUser | undefined> {
    const session = await this.read(cookieHeader);
    return session ? { user: session.user, groups: session.groups } : undefined;
  }

  /** Ends the session here, and at the provider when it offers that. */
  async logout(cookieHeader: string | undefined, after: string): Promise<{ location: string; setCookie: string }> {
    const session = await this.read(cookieHeader);
    const id = cookieValue(cookieHeader, SESSION_COOKIE);
    if (id) await this.redis.del(sessionKey(id));
    const clear = cookie(SESSION_COOKIE, '', 0, this.secure);
    const config = await this.config().catch(() => undefined);
    if (!session || !config?.serverMetadata().end_session_endpoint) return { location: after, setCookie: clear };
    const url = oidc.buildEndSessionUrl(config, { id_token_hint: session.id_token, post_logout_redirect_uri: after });
    return { location: url.href, setCookie: clear };
  }

  private async read(cookieHeader: string | undefined) {
    const id = cookieValue(cookieHeader, SESSION_COOKIE);
    const raw = id ? await this.redis.get(sessionKey(id)) : null;
    const parsed = raw ? sessionSchema.safeParse(JSON.parse(raw)) : undefined;
    return parsed?.success ? parsed.data : undefined;
  }
}
