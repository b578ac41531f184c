import { afterAll, beforeAll, expect } from 'vitest';
import type { BotOptions } from '../../src/bot/bot.js';
import { snapshot } from '../helpers/core.js';
import { eventually, startTestBot, type TestBot } from '../helpers/bot.js';
import {
  snowflake,
  startFakeDiscord,
  type FakeDiscord,
  type FakeMessage,
  type FakeUser,
  type InteractionCallback,
} from '../helpers/fake-discord.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

export const ids = {
  token: 'fake-bot-token.for-tests',
  applicationId: snowflake(),
  guildId: snowflake(),
  channelId: snowflake(),
  netops: snowflake(),
};

/** An approver by user id (APPROVERS), one by role, and someone who is neither. */
export const dana: FakeUser = { id: snowflake(), username: 'dana' };
export const ravi: FakeUser = { id: snowflake(), username: 'ravi', roles: [ids.netops] };
export const mallory: FakeUser = { id: snowflake(), username: 'mallory' };

export interface DiscordWorld {
  fake: FakeDiscord;
  redis: TestRedis;
  bot: TestBot;
  /** Stops the bot and starts another one on the same Redis and fake Discord. */
  restart(env?: Record<string, string>): Promise<void>;
}

export function discordEnv(fake: FakeDiscord, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DISCORD_TOKEN: ids.token,
    DISCORD_APPLICATION_ID: ids.applicationId,
    DISCORD_CHANNEL_ID: ids.channelId,
    DISCORD_GUILD_ID: ids.guildId,
    DISCORD_API_URL: `${fake.api}/v10`,
    APPROVERS: `discord:${dana.id},discord-role:${ids.netops},console:alice`,
    ...extra,
  };
}

/** A fake Discord, a private Redis and a bot logged in to the one with the other, for one test file. */
export function useDiscordBot(
  extra: () => Promise<Record<string, string>> = () => Promise.resolve({}),
  options: BotOptions = {},
): DiscordWorld {
  const world = {} as DiscordWorld;
  let env: Record<string, string> = {};
  beforeAll(async () => {
    world.fake = await startFakeDiscord({ ...ids, roles: [ids.netops] });
    world.redis = await startRedis();
    env = discordEnv(world.fake, await extra());
    world.bot = await startTestBot(world.redis, env, options);
  });
  world.restart = async (more = {}) => {
    await world.bot.close();
    world.bot = await startTestBot(world.redis, { ...env, ...more }, options);
  };
  afterAll(async () => {
    await world.bot?.close();
    await world.fake?.close();
    await world.redis?.stop();
  });
  return world;
}

let hostSeq = 0;

/** A known host with a firewall request pending approval (requested by someone else): its host and approval id. */
export async function firewallApproval(
  bot: TestBot,
  requestedBy = 'discord:1111111111111111',
): Promise<{ host: string; id: string }> {
  const host = `dc-${++hostSeq}-${Date.now().toString(36)}`;
  await bot.request('/v1/metrics', { body: snapshot({ host }) });
  await eventually(async () => ((await bot.request(`/v1/hosts/${host}`)).status === 200 ? true : undefined));
  const r = await bot.request('/v1/requests/firewall', {
    body: { host, action: 'open', port: 8443, protocol: 'tcp', reason: 'new health check', requested_by: requestedBy },
  });
  expect(r.status).toBe(202);
  const id = await eventually(async () => {
    const { body } = await bot.request(`/v1/audit?window=1h&host=${host}&type=approval.requested`);
    return (body as { entries: { approval_id: string }[] }).entries[0]?.approval_id;
  });
  return { host, id };
}

export const buttonIds = (m: FakeMessage) => m.components.flatMap((row) => row.components.map((c) => c.custom_id));

/** The channel message that asks for this approval (posted by the notifier). */
export function requestMessage(fake: FakeDiscord, approvalId: string): Promise<FakeMessage> {
  return eventually(
    () =>
      [...fake.messages.values()].find(
        (m) =>
          !m.message_reference &&
          String((m.embeds[0]?.footer as { text?: string } | undefined)?.text).startsWith(approvalId),
      ),
    10_000,
    `the request message of ${approvalId}`,
  );
}

export function callback(fake: FakeDiscord, interaction: { id: string }): Promise<InteractionCallback> {
  return eventually(() => fake.callbacks.find((c) => c.id === interaction.id), 10_000, `callback of ${interaction.id}`);
}

/** The text of an ephemeral reply (a callback of type 4 or a follow-up), failing if it is not ephemeral. */
export async function ephemeralReply(fake: FakeDiscord, interaction: { id: string; token: string }): Promise<string> {
  const data = await eventually(
    () => {
      const cb = fake.callbacks.find((c) => c.id === interaction.id && c.type === 4);
      if (cb) return cb.data;
      return fake.webhooks.find((w) => w.token === interaction.token && w.method === 'POST')?.body;
    },
    10_000,
    `an ephemeral reply to ${interaction.id}`,
  );
  expect(data?.flags).toBe(64);
  return String(data?.content);
}

export function fieldValue(m: FakeMessage, name: string): string | undefined {
  const fields = (m.embeds[0]?.fields ?? []) as { name: string; value: string }[];
  return fields.find((f) => f.name === name)?.value;
}
