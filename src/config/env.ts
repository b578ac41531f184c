import { hostname } from 'node:os';
import { z } from 'zod';
import { DEFAULT_MODEL_FILE, DEFAULT_POLICY_FILE } from '../io/paths.js';
import {
  approversField,
  addressListField,
  durationField,
  ed25519KeyField,
  executionModeField,
  hostIdField,
  httpUrlField,
  listenHostField,
  logLevelField,
  nameField,
  portField,
  redisUrlField,
  secretField,
} from './fields.js';
import { isLoopbackHost } from './loopback.js';
import { readSecretFiles } from './secret-files.js';
import type { Config, ConfigResult, DiscordConfig, SlackConfig } from './types.js';

export const SLACK_API_URL = 'https://slack.com/api';
export const DISCORD_API_URL = 'https://discord.com/api/v10';

/** Defaults are written as the text a user would set, so they pass the same validation as given values. */
const DEFAULTS = {
  HTTP_HOST: '127.0.0.1',
  HTTP_PORT: '8080',
  POLICY_FILE: DEFAULT_POLICY_FILE,
  MODEL_FILE: DEFAULT_MODEL_FILE,
  POLL_INTERVAL: '15s',
  EXECUTION_MODE: 'dry-run',
  APPROVERS: '',
  LOG_LEVEL: 'info',
  REDIS_DATA_DIR: './var/redis',
  SHUTDOWN_GRACE: '10s',
  SLACK_API_URL,
  DISCORD_API_URL,
  OIDC_USER_CLAIM: 'preferred_username',
  OIDC_GROUPS_CLAIM: 'groups',
} as const;

const schema = z.object({
  REDIS_URL: redisUrlField.optional(),
  REDIS_TLS_CA_FILE: nameField.optional(),
  HTTP_HOST: listenHostField,
  HTTP_PORT: portField,
  POLICY_FILE: nameField,
  MODEL_FILE: nameField,
  HOST_ID: hostIdField,
  POLL_INTERVAL: durationField,
  EXECUTION_MODE: executionModeField,
  INGEST_TOKEN: secretField.optional(),
  CONSOLE_TOKEN: secretField.optional(),
  CONSOLE_TRUSTED_PROXIES: addressListField.optional(),
  OIDC_ISSUER_URL: httpUrlField.optional(),
  OIDC_CLIENT_ID: nameField.optional(),
  OIDC_CLIENT_SECRET: secretField.optional(),
  OIDC_REDIRECT_URL: httpUrlField.optional(),
  OIDC_USER_CLAIM: nameField,
  OIDC_GROUPS_CLAIM: nameField,
  ACTION_SIGNING_KEY: ed25519KeyField.optional(),
  ACTION_VERIFY_KEY: ed25519KeyField.optional(),
  APPROVERS: approversField,
  LOG_LEVEL: logLevelField,
  REDIS_DATA_DIR: nameField,
  SHUTDOWN_GRACE: durationField,
  SLACK_BOT_TOKEN: secretField.optional(),
  SLACK_SIGNING_SECRET: secretField.optional(),
  SLACK_APP_TOKEN: secretField.optional(),
  SLACK_CHANNEL: nameField.optional(),
  SLACK_API_URL: httpUrlField,
  DISCORD_TOKEN: secretField.optional(),
  DISCORD_APPLICATION_ID: nameField.optional(),
  DISCORD_CHANNEL_ID: nameField.optional(),
  DISCORD_GUILD_ID: nameField.optional(),
  DISCORD_API_URL: httpUrlField,
});

type Variable = keyof typeof schema.shape;
export const CONFIG_VARIABLES = Object.keys(schema.shape) as Variable[];

/** A platform is configured by all of `required`; any of `related` alone means a half-done set-up. */
function platformErrors(raw: Partial<Record<Variable, string>>, required: Variable[], related: Variable[]): string[] {
  const set = [...required, ...related].filter((v) => raw[v] !== undefined);
  if (set.length === 0) return [];
  return required
    .filter((v) => raw[v] === undefined)
    .map((v) => `${v}: required because ${set.join(', ')} ${set.length === 1 ? 'is' : 'are'} set`);
}

/** The web console refuses to serve approvals to the network without a token. */
export function consoleTokenMissing(httpHost: string): string {
  return `CONSOLE_TOKEN: required because HTTP_HOST ${httpHost} is not a loopback address: without it anyone who can reach the port could approve actions in the web console`;
}

/**
 * Reads healgate's settings from `env` (and the files its `*_FILE`
 * variables name), reporting every bad value at once, each named by its
 * variable. Empty strings count as unset.
 */
export function loadConfig(given: NodeJS.ProcessEnv, defaults: { hostname?: string } = {}): ConfigResult {
  const { env, errors: fileErrors } = readSecretFiles(given);
  const raw: Partial<Record<Variable, string>> = {};
  for (const name of CONFIG_VARIABLES) {
    const value = env[name];
    if (value !== undefined && value !== '') raw[name] = value;
  }
  const defaultHost = defaults.hostname ?? hostname();
  const result = schema.safeParse({ ...DEFAULTS, HOST_ID: defaultHost, ...raw });

  const errors = result.success
    ? []
    : result.error.issues.map((issue) => {
        const name = String(issue.path[0]);
        const hint =
          name === 'HOST_ID' && raw.HOST_ID === undefined ? ' (the default, os.hostname()); set HOST_ID' : '';
        return `${name}: ${issue.message}${hint}`;
      });
  errors.push(
    ...fileErrors,
    ...platformErrors(raw, ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET'], ['SLACK_APP_TOKEN', 'SLACK_CHANNEL']),
    ...platformErrors(raw, ['DISCORD_TOKEN', 'DISCORD_APPLICATION_ID', 'DISCORD_CHANNEL_ID'], ['DISCORD_GUILD_ID']),
    ...platformErrors(raw, ['OIDC_ISSUER_URL', 'OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET', 'OIDC_REDIRECT_URL'], []),
  );
  if (raw.OIDC_ISSUER_URL !== undefined && raw.CONSOLE_TRUSTED_PROXIES !== undefined)
    errors.push(
      'OIDC_ISSUER_URL: the console signs people in either itself or through a proxy: unset CONSOLE_TRUSTED_PROXIES or OIDC_ISSUER_URL',
    );
  const httpHost = raw.HTTP_HOST ?? DEFAULTS.HTTP_HOST;
  if (raw.INGEST_TOKEN === undefined && !isLoopbackHost(httpHost)) {
    errors.push(
      `INGEST_TOKEN: required because HTTP_HOST ${httpHost} is not a loopback address: without it anyone who can reach the port could post snapshots and alerts to /v1/*`,
    );
  }
  const hostValid = !errors.some((e) => e.startsWith('HTTP_HOST:'));
  if (
    raw.CONSOLE_TOKEN === undefined &&
    raw.CONSOLE_TRUSTED_PROXIES === undefined &&
    raw.OIDC_ISSUER_URL === undefined &&
    hostValid &&
    !isLoopbackHost(httpHost)
  )
    errors.push(consoleTokenMissing(httpHost));
  if (!result.success || errors.length > 0) return { ok: false, errors };
  return { ok: true, config: toConfig(result.data) };
}

function toConfig(v: z.output<typeof schema>): Config {
  const config: Config = {
    httpHost: v.HTTP_HOST,
    httpPort: v.HTTP_PORT,
    policyFile: v.POLICY_FILE,
    modelFile: v.MODEL_FILE,
    hostId: v.HOST_ID,
    pollIntervalMs: v.POLL_INTERVAL,
    executionMode: v.EXECUTION_MODE,
    approvers: v.APPROVERS,
    logLevel: v.LOG_LEVEL,
    redisDataDir: v.REDIS_DATA_DIR,
    shutdownGraceMs: v.SHUTDOWN_GRACE,
  };
  if (v.REDIS_URL !== undefined) config.redisUrl = v.REDIS_URL;
  if (v.REDIS_TLS_CA_FILE !== undefined) config.redisTlsCaFile = v.REDIS_TLS_CA_FILE;
  if (v.INGEST_TOKEN !== undefined) config.ingestToken = v.INGEST_TOKEN;
  if (v.CONSOLE_TOKEN !== undefined) config.consoleToken = v.CONSOLE_TOKEN;
  if (v.CONSOLE_TRUSTED_PROXIES !== undefined) config.consoleTrustedProxies = v.CONSOLE_TRUSTED_PROXIES;
  if (v.OIDC_ISSUER_URL && v.OIDC_CLIENT_ID && v.OIDC_CLIENT_SECRET && v.OIDC_REDIRECT_URL)
    config.oidc = {
      issuerUrl: v.OIDC_ISSUER_URL,
      clientId: v.OIDC_CLIENT_ID,
      clientSecret: v.OIDC_CLIENT_SECRET,
      redirectUrl: v.OIDC_REDIRECT_URL,
      userClaim: v.OIDC_USER_CLAIM,
      groupsClaim: v.OIDC_GROUPS_CLAIM,
    };
  if (v.ACTION_SIGNING_KEY !== undefined) config.actionSigningKey = v.ACTION_SIGNING_KEY;
  if (v.ACTION_VERIFY_KEY !== undefined) config.actionVerifyKey = v.ACTION_VERIFY_KEY;
  if (v.SLACK_BOT_TOKEN !== undefined && v.SLACK_SIGNING_SECRET !== undefined) {
    const slack: SlackConfig = {
      botToken: v.SLACK_BOT_TOKEN,
      signingSecret: v.SLACK_SIGNING_SECRET,
      apiUrl: v.SLACK_API_URL,
    };
    if (v.SLACK_APP_TOKEN !== undefined) slack.appToken = v.SLACK_APP_TOKEN;
    if (v.SLACK_CHANNEL !== undefined) slack.channel = v.SLACK_CHANNEL;
    config.slack = slack;
  }
  if (v.DISCORD_TOKEN !== undefined && v.DISCORD_APPLICATION_ID !== undefined && v.DISCORD_CHANNEL_ID !== undefined) {
    const discord: DiscordConfig = {
      token: v.DISCORD_TOKEN,
      applicationId: v.DISCORD_APPLICATION_ID,
      channelId: v.DISCORD_CHANNEL_ID,
      apiUrl: v.DISCORD_API_URL,
    };
    if (v.DISCORD_GUILD_ID !== undefined) discord.guildId = v.DISCORD_GUILD_ID;
    config.discord = discord;
  }
  return config;
}
