import { describe, expect, it } from 'vitest';
import { snapshot } from '../helpers/core.js';
import { eventually } from '../helpers/bot.js';
import type { FakeDiscord } from '../helpers/fake-discord.js';
import { startTestBot } from '../helpers/bot.js';
import { callback, dana, discordEnv, ephemeralReply, ids, useDiscordBot } from './harness.js';

const t = useDiscordBot();
const STRING = 3;
const BOOLEAN = 5;

/** The public answer of a deferred command: the deferral, then the edit of `@original`. */
async function deferredAnswer(fake: FakeDiscord, interaction: { id: string; token: string }) {
  const deferral = await callback(fake, interaction);
  expect(deferral).toMatchObject({ type: 5 });
  expect((deferral.data?.flags ?? 0) as number).toBe(0);
  const edit = await eventually(() =>
    fake.webhooks.find((w) => w.token === interaction.token && w.method === 'PATCH' && w.message === '@original'),
  );
  return (edit.body?.embeds as { title: string; fields: { name: string; value: string }[] }[])[0]!;
}

describe('Discord slash commands', () => {
  it('/diagnose answers with the diagnosis of a known host, after deferring', async () => {
    await t.bot.request('/v1/metrics', { body: snapshot({ host: 'cmd-web-1', disk_usage: 52 }) });
    await eventually(async () => ((await t.bot.request('/v1/hosts/cmd-web-1')).status === 200 ? true : undefined));
    const embed = await deferredAnswer(
      t.fake,
      t.fake.command('diagnose', [{ name: 'host', type: STRING, value: 'cmd-web-1' }], dana),
    );
    expect(embed.title).toBe('Diagnosis of cmd-web-1: NO\\_ACTION');
    expect(embed.fields.find((f) => f.name === 'Disk')?.value).toMatch(/^52%/);
  });

  it('/diagnose of an unknown or malformed host is an ephemeral usage reply, with no public placeholder', async () => {
    const unknown = t.fake.command('diagnose', [{ name: 'host', type: STRING, value: 'nowhere-1' }], dana);
    expect(await ephemeralReply(t.fake, unknown)).toBe(
      'No snapshot of nowhere-1 has ever arrived: is the name right? Usage: /diagnose <host> — e.g. /diagnose host-1',
    );
    // Answered at once, privately: no deferral ("thinking…" for the whole channel), nothing to delete.
    expect(t.fake.callbacks.filter((c) => c.id === unknown.id).map((c) => c.type)).toEqual([4]);
    expect(t.fake.webhooks.filter((w) => w.token === unknown.token)).toEqual([]);

    const malformed = t.fake.command('diagnose', [{ name: 'host', type: STRING, value: 'bad/host' }], dana);
    expect(await ephemeralReply(t.fake, malformed)).toMatch(/^"bad\/host" is not a host name\./);
    expect(t.fake.callbacks.find((c) => c.id === malformed.id)?.type).toBe(4);
  });

  it('completes host names from the hosts healgate knows', async () => {
    await t.bot.request('/v1/metrics', { body: [snapshot({ host: 'cmd-db-1' }), snapshot({ host: 'cmd-db-2' })] });
    await eventually(async () => ((await t.bot.request('/v1/hosts/cmd-db-2')).status === 200 ? true : undefined));
    const typing = t.fake.autocomplete(
      'diagnose',
      [{ name: 'host', type: STRING, value: 'cmd-d', focused: true }],
      dana,
    );
    const answer = await callback(t.fake, typing);
    expect(answer.type).toBe(8);
    expect((answer.data?.choices as { value: string }[]).map((c) => c.value).sort()).toEqual(['cmd-db-1', 'cmd-db-2']);
  });

  it('/audit summarises a window; verify checks the chain; mixing them is a usage reply', async () => {
    await t.bot.request('/v1/metrics', { body: snapshot({ host: 'cmd-full-1', disk_usage: 97 }) });
    const entries = async () => {
      const { body } = await t.bot.request('/v1/audit?window=1h');
      const n = (body as { summary: { totals: { entries: number } } }).summary.totals.entries;
      return n > 0 ? n : undefined;
    };
    const before = await eventually(entries);
    const summary = await deferredAnswer(
      t.fake,
      t.fake.command('audit', [{ name: 'window', type: STRING, value: '1h' }], dana),
    );
    expect(summary.title).toBe('Audit, last 1h');
    // The same count the HTTP API gives, which may only grow meanwhile.
    const shown = Number(summary.fields.find((f) => f.name === 'Entries')?.value);
    expect(shown).toBeGreaterThanOrEqual(before);
    expect(shown).toBeLessThanOrEqual((await entries()) ?? 0);

    const host = await deferredAnswer(
      t.fake,
      t.fake.command('audit', [{ name: 'host', type: STRING, value: 'cmd-web-1' }], dana),
    );
    expect(host.title).toBe('Audit, last 24h for cmd-web-1');

    const verify = await deferredAnswer(
      t.fake,
      t.fake.command('audit', [{ name: 'verify', type: BOOLEAN, value: true }], dana),
    );
    expect(verify.title).toMatch(/^Audit chain intact: \d+ entries verified$/);

    const mixed = t.fake.command(
      'audit',
      [
        { name: 'window', type: STRING, value: '1h' },
        { name: 'verify', type: BOOLEAN, value: true },
      ],
      dana,
    );
    expect(await ephemeralReply(t.fake, mixed)).toBe('verify checks the whole log: leave out window and host.');

    // A window that is not one, or a host never seen: a private usage line, not a public all-zero summary.
    const forever = t.fake.command('audit', [{ name: 'window', type: STRING, value: 'forever' }], dana);
    expect(await ephemeralReply(t.fake, forever)).toMatch(
      /^"forever" is not a window: use 1h, 24h, 7d… Usage: \/audit/,
    );
    const stranger = t.fake.command('audit', [{ name: 'host', type: STRING, value: 'never-seen-9' }], dana);
    expect(await ephemeralReply(t.fake, stranger)).toMatch(
      /^No snapshot of never-seen-9 has ever arrived: is the name right\? Usage: \/audit/,
    );
    for (const asked of [forever, stranger])
      expect(t.fake.callbacks.filter((c) => c.id === asked.id).map((c) => c.type)).toEqual([4]);
  });

  it('registers commands only when they differ: a restart changes nothing; without a guild they are global', async () => {
    const puts = () => t.fake.calls.filter((c) => c.method === 'PUT').map((c) => c.path);
    const guildRoute = `/applications/${ids.applicationId}/guilds/${ids.guildId}/commands`;
    expect(puts()).toEqual([guildRoute]);
    const before = t.fake.commands.get(guildRoute.slice(1));

    // DISCORD_API_URL without the version works the same.
    await t.restart({ DISCORD_API_URL: t.fake.api });
    expect(puts()).toEqual([guildRoute]);
    expect(t.fake.calls.filter((c) => c.method === 'GET' && c.path === guildRoute)).toHaveLength(2);
    expect(t.fake.commands.get(guildRoute.slice(1))).toBe(before);

    await t.restart({ DISCORD_GUILD_ID: '' });
    expect(puts()).toEqual([guildRoute, `/applications/${ids.applicationId}/commands`]);
    const answer = t.fake.command('audit', [{ name: 'window', type: STRING, value: '2h' }], dana);
    expect((await deferredAnswer(t.fake, answer)).title).toBe('Audit, last 2h');
  });

  it('refuses to start with a token Discord does not accept, and says which setting is wrong', async () => {
    await expect(startTestBot(t.redis, { ...discordEnv(t.fake), DISCORD_TOKEN: 'not-the-token' })).rejects.toThrow(
      'Discord refused DISCORD_TOKEN (401 Unauthorized)',
    );
  });
});
