import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EVENTS_PATH } from '../../adapters/slack/receiver.js';
import { COMMAND_NAMES } from '../../src/chat/commands.js';
import { REPO_ROOT } from '../helpers/cli.js';

interface Manifest {
  features: { slash_commands: { command: string; url: string }[] };
  oauth_config: { scopes: { bot: string[] } };
  settings: { interactivity: { is_enabled: boolean; request_url: string }; socket_mode_enabled: boolean };
}

describe('the Slack app manifest', () => {
  it('creates the commands the bot answers, pointed at the route it serves, with the scopes it uses', async () => {
    const manifest = parse(await readFile(join(REPO_ROOT, 'adapters/slack/manifest.yaml'), 'utf8')) as Manifest;
    expect(manifest.features.slash_commands.map((c) => c.command)).toEqual(COMMAND_NAMES.map((n) => `/${n}`));
    for (const c of manifest.features.slash_commands) expect(new URL(c.url).pathname).toBe(EVENTS_PATH);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(new URL(manifest.settings.interactivity.request_url).pathname).toBe(EVENTS_PATH);
    expect(manifest.settings.socket_mode_enabled).toBe(false);
    expect(manifest.oauth_config.scopes.bot.sort()).toEqual(['chat:write', 'commands']);
  });
});
