import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config/env.js';
import { REPO_ROOT } from '../helpers/cli.js';

const HOST = { hostname: 'box-1' };

function errorsOf(env: NodeJS.ProcessEnv, defaults = HOST): string[] {
  const result = loadConfig(env, defaults);
  if (result.ok) throw new Error(`expected errors, got ${JSON.stringify(result.config)}`);
  return result.errors;
}

function configOf(env: NodeJS.ProcessEnv) {
  const result = loadConfig(env, HOST);
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.config;
}

describe('loadConfig', () => {
  it('fills in the documented defaults', () => {
    expect(configOf({})).toEqual({
      httpHost: '127.0.0.1',
      httpPort: 8080,
      policyFile: 'policies/default.yaml',
      modelFile: 'model/severity-model.json',
      hostId: 'box-1',
      pollIntervalMs: 15_000,
      executionMode: 'dry-run',
      approvers: [],
      logLevel: 'info',
      redisDataDir: './var/redis',
      shutdownGraceMs: 10_000,
    });
  });

  it('treats empty strings as unset', () => {
    expect(configOf({ HTTP_PORT: '', REDIS_URL: '', SLACK_BOT_TOKEN: '', HOST_ID: '' })).toEqual(configOf({}));
  });

  it('reads every variable', () => {
    const config = configOf({
      REDIS_URL: 'rediss://:pw@redis.example:6380/2',
      HTTP_HOST: '0.0.0.0',
      HTTP_PORT: '9000',
      POLICY_FILE: '/etc/healgate/policy.yaml',
      MODEL_FILE: 'm.json',
      HOST_ID: 'web-01.example',
      POLL_INTERVAL: '500ms',
      EXECUTION_MODE: 'live',
      INGEST_TOKEN: 'ingest-secret',
      CONSOLE_TOKEN: 'console-secret',
      APPROVERS: 'slack:U1',
      LOG_LEVEL: 'debug',
      REDIS_DATA_DIR: '/var/lib/healgate/redis',
      SHUTDOWN_GRACE: '30s',
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_SIGNING_SECRET: 'sig',
      SLACK_APP_TOKEN: 'xapp-1',
      SLACK_CHANNEL: 'C123',
      SLACK_API_URL: 'http://127.0.0.1:3000/api',
      DISCORD_TOKEN: 'dt',
      DISCORD_APPLICATION_ID: '111',
      DISCORD_CHANNEL_ID: '222',
      DISCORD_GUILD_ID: '333',
      DISCORD_API_URL: 'http://127.0.0.1:3001/api/v10',
    });
    expect(config).toEqual({
      redisUrl: 'rediss://:pw@redis.example:6380/2',
      httpHost: '0.0.0.0',
      httpPort: 9000,
      policyFile: '/etc/healgate/policy.yaml',
      modelFile: 'm.json',
      hostId: 'web-01.example',
      pollIntervalMs: 500,
      executionMode: 'live',
      ingestToken: 'ingest-secret',
      consoleToken: 'console-secret',
      approvers: ['slack:U1'],
      logLevel: 'debug',
      redisDataDir: '/var/lib/healgate/redis',
      shutdownGraceMs: 30_000,
      slack: {
        botToken: 'xoxb-1',
        signingSecret: 'sig',
        appToken: 'xapp-1',
        channel: 'C123',
        apiUrl: 'http://127.0.0.1:3000/api',
      },
      discord: {
        token: 'dt',
        applicationId: '111',
        channelId: '222',
        guildId: '333',
        apiUrl: 'http://127.0.0.1:3001/api/v10',
      },
    });
  });

  it('names every bad value with what is expected, all at once', () => {
    const errors = errorsOf({
      REDIS_URL: 'http://localhost:6379',
      HTTP_HOST: 'not a host',
      HTTP_PORT: '80a',
      HOST_ID: '-bad',
      POLL_INTERVAL: '15 seconds',
      EXECUTION_MODE: 'yolo',
      LOG_LEVEL: 'verbose',
      SLACK_API_URL: 'slack.com/api',
      DISCORD_API_URL: 'ftp://discord.com',
      INGEST_TOKEN: 'a token',
    });
    expect(errors).toEqual([
      'REDIS_URL: expected a redis:// or rediss:// URL, got "http://localhost:6379"',
      'HTTP_HOST: expected a host name or IP address, got "not a host"',
      'HTTP_PORT: expected an integer 1-65535, got "80a"',
      'HOST_ID: expected a host name matching ^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$, got "-bad"',
      'POLL_INTERVAL: expected a duration such as 500ms, 15s or 1m, got "15 seconds"',
      'EXECUTION_MODE: expected dry-run | live, got "yolo"',
      'INGEST_TOKEN: must not contain whitespace (value not shown)',
      'LOG_LEVEL: expected fatal | error | warn | info | debug | trace | silent, got "verbose"',
      'SLACK_API_URL: expected an http:// or https:// URL, got "slack.com/api"',
      'DISCORD_API_URL: expected an http:// or https:// URL, got "ftp://discord.com"',
    ]);
  });

  it.each([
    ['0', 'HTTP_PORT'],
    ['65536', 'HTTP_PORT'],
    ['-1', 'HTTP_PORT'],
    ['0s', 'POLL_INTERVAL'],
    ['15', 'POLL_INTERVAL'],
    ['0s', 'SHUTDOWN_GRACE'],
    ['ten seconds', 'SHUTDOWN_GRACE'],
  ])('refuses %s for %s', (value, name) => {
    expect(errorsOf({ [name]: value })).toEqual([expect.stringContaining(`${name}: expected`)]);
  });

  it('refuses a POLL_INTERVAL longer than a timer can wait, which would poll continuously', () => {
    expect(errorsOf({ POLL_INTERVAL: '30d' })).toEqual([
      'POLL_INTERVAL: "30d" is longer than a timer can wait (at most 2147483647 ms, about 24d)',
    ]);
    expect(configOf({ POLL_INTERVAL: '24d' }).pollIntervalMs).toBe(24 * 86_400_000);
  });

  it('reads secrets from the files their *_FILE variables name, and refuses one set both ways', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'healgate-secrets-'));
    await writeFile(join(dir, 'ingest'), 'ingest-secret\n');
    await writeFile(join(dir, 'redis'), 'redis://:pw@redis:6379');
    const config = configOf({ INGEST_TOKEN_FILE: join(dir, 'ingest'), REDIS_URL_FILE: join(dir, 'redis') });
    expect(config).toMatchObject({ ingestToken: 'ingest-secret', redisUrl: 'redis://:pw@redis:6379' });
    expect(
      errorsOf({ CONSOLE_TOKEN_FILE: join(dir, 'missing'), INGEST_TOKEN: 'a', INGEST_TOKEN_FILE: join(dir, 'ingest') }),
    ).toEqual([
      'INGEST_TOKEN_FILE: INGEST_TOKEN is set too; keep one',
      `CONSOLE_TOKEN_FILE: cannot read ${join(dir, 'missing')} (ENOENT)`,
    ]);
  });

  it('never echoes a REDIS_URL password or a secret', () => {
    const errors = errorsOf({
      REDIS_URL: 'redis:/user:hunter2@host',
      SLACK_BOT_TOKEN: 'xoxb secret',
      SLACK_SIGNING_SECRET: 's',
    });
    expect(errors.join('\n')).not.toMatch(/hunter2|secret"/);
    expect(errors).toContain('SLACK_BOT_TOKEN: must not contain whitespace (value not shown)');
    expect(errorsOf({ REDIS_URL: 'redis://:hunter2@' })).toEqual([
      'REDIS_URL: expected a redis:// or rediss:// URL, got "redis://***@"',
    ]);
  });

  it('says where a bad default host id came from', () => {
    expect(errorsOf({}, { hostname: 'my_host!' })).toEqual([
      'HOST_ID: expected a host name matching ^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$, got "my_host!" (the default, os.hostname()); set HOST_ID',
    ]);
    expect(configOf({ HOST_ID: 'h1' }).hostId).toBe('h1');
  });

  it('parses APPROVERS and names each bad entry', () => {
    expect(configOf({ APPROVERS: ' slack:U123, discord:4567,discord-role:890 , console:alice,' }).approvers).toEqual([
      'slack:U123',
      'discord:4567',
      'discord-role:890',
      'console:alice',
    ]);
    const [error, ...rest] = errorsOf({ APPROVERS: 'slack:UGOOD,teams:bob,console:,role:ops,alice' });
    expect(rest).toEqual([]);
    expect(error).toMatch(
      /^APPROVERS: expected comma-separated platform:userId .*, got "teams:bob", "console:", "role:ops", "alice"$/,
    );
    expect(error).not.toContain('UGOOD');
  });

  it('requires INGEST_TOKEN and CONSOLE_TOKEN when listening beyond loopback, and says why', () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.10', 'bot.example.com']) {
      const errors = errorsOf({ HTTP_HOST: host });
      expect(errors).toHaveLength(2);
      expect(errors[0]).toMatch(
        new RegExp(`^INGEST_TOKEN: required because HTTP_HOST ${host} is not a loopback address: .*/v1/`),
      );
      expect(errors[1]).toMatch(
        new RegExp(`^CONSOLE_TOKEN: required because HTTP_HOST ${host} is not a loopback address: .*web console`),
      );
      expect(errorsOf({ HTTP_HOST: host, INGEST_TOKEN: 't' })).toEqual([errors[1]]);
      expect(configOf({ HTTP_HOST: host, INGEST_TOKEN: 't', CONSOLE_TOKEN: 'c' })).toMatchObject({
        ingestToken: 't',
        consoleToken: 'c',
      });
    }
    for (const host of ['127.0.0.1', '127.3.2.1', '::1', 'localhost', '::ffff:127.0.0.1']) {
      expect(configOf({ HTTP_HOST: host }).httpHost).toBe(host);
    }
  });

  it('refuses a half-configured Slack or Discord, naming what is missing', () => {
    expect(errorsOf({ SLACK_BOT_TOKEN: 'xoxb-1' })).toEqual([
      'SLACK_SIGNING_SECRET: required because SLACK_BOT_TOKEN is set',
    ]);
    expect(errorsOf({ SLACK_CHANNEL: 'C1', SLACK_APP_TOKEN: 'xapp' })).toEqual([
      'SLACK_BOT_TOKEN: required because SLACK_APP_TOKEN, SLACK_CHANNEL are set',
      'SLACK_SIGNING_SECRET: required because SLACK_APP_TOKEN, SLACK_CHANNEL are set',
    ]);
    expect(errorsOf({ DISCORD_TOKEN: 't', DISCORD_CHANNEL_ID: '2' })).toEqual([
      'DISCORD_APPLICATION_ID: required because DISCORD_TOKEN, DISCORD_CHANNEL_ID are set',
    ]);
  });

  it('leaves platforms out unless configured; API URLs default to the real ones', () => {
    const plain = configOf({ SLACK_API_URL: 'http://127.0.0.1:1/api' });
    expect(plain.slack).toBeUndefined();
    expect(plain.discord).toBeUndefined();
    const both = configOf({
      SLACK_BOT_TOKEN: 'b',
      SLACK_SIGNING_SECRET: 's',
      DISCORD_TOKEN: 't',
      DISCORD_APPLICATION_ID: '1',
      DISCORD_CHANNEL_ID: '2',
    });
    expect(both.slack).toEqual({ botToken: 'b', signingSecret: 's', apiUrl: 'https://slack.com/api' });
    expect(both.discord).toEqual({
      token: 't',
      applicationId: '1',
      channelId: '2',
      apiUrl: 'https://discord.com/api/v10',
    });
  });
});

describe('.env.example', () => {
  const text = readFileSync(join(REPO_ROOT, '.env.example'), 'utf8');
  const entries = [...text.matchAll(/^([A-Z_]+)=(.*)$/gm)].map((m) => [m[1] ?? '', m[2] ?? ''] as const);

  it('lists every variable once, each after a comment', () => {
    expect(entries.map(([name]) => name).sort()).toEqual([...CONFIG_VARIABLES].sort());
    const lines = text.split('\n');
    for (const [name] of entries) {
      const i = lines.findIndex((l) => l.startsWith(`${name}=`));
      expect(
        lines
          .slice(0, i)
          .reverse()
          .find((l) => !/^[A-Z_]+=/.test(l)),
        name,
      ).toMatch(/^# /);
    }
  });

  it('holds the defaults', () => {
    expect(configOf(Object.fromEntries(entries))).toEqual(configOf({}));
  });
});
