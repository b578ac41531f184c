import type { LogLevel } from '../log.js';

export type ExecutionMode = 'dry-run' | 'live';

export interface SlackConfig {
  botToken: string;
  signingSecret: string;
  /** Socket Mode when set; HTTP events otherwise. */
  appToken?: string;
  channel?: string;
  apiUrl: string;
}

export interface DiscordConfig {
  token: string;
  applicationId: string;
  channelId: string;
  guildId?: string;
  apiUrl: string;
}

/** OpenID Connect login for the console. */
export interface OidcConfig {
  issuerUrl: string;
  clientId: string;
  clientSecret: string;
  /** This console's callback as the browser reaches it, e.g. https://healgate.example/console/oidc/callback. */
  redirectUrl: string;
  /** The claim that names the person (console:<it>). */
  userClaim: string;
  groupsClaim: string;
}

/** Start-up configuration from the environment. Paths are as given: the caller resolves them. */
export interface Config {
  /** Unset: use 127.0.0.1:6379, or start a private redis-server. May hold a password: log `redactUrl(redisUrl)`. */
  redisUrl?: string;
  /** The CA (PEM file) of a `rediss://` server whose certificate no system CA signed. */
  redisTlsCaFile?: string;
  httpHost: string;
  httpPort: number;
  policyFile: string;
  modelFile: string;
  hostId: string;
  pollIntervalMs: number;
  executionMode: ExecutionMode;
  ingestToken?: string;
  consoleToken?: string;
  /** Addresses of the authenticating proxy (oauth2-proxy) whose X-Forwarded-User the console believes. */
  consoleTrustedProxies?: string[];
  oidc?: OidcConfig;
  /** The bot's Ed25519 seed for signing action jobs; unset: the published development key. */
  actionSigningKey?: Buffer;
  /** The agent's copy of the bot's public key; unset: the signing key's, else the development key's. */
  actionVerifyKey?: Buffer;
  /** `platform:userId` entries, added to the policy's approvers. */
  approvers: string[];
  logLevel: LogLevel;
  redisDataDir: string;
  /** How long SIGTERM may drain before the process exits anyway, naming what it cut off. */
  shutdownGraceMs: number;
  slack?: SlackConfig;
  discord?: DiscordConfig;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; errors: string[] };
