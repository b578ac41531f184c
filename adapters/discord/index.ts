import type { AdapterFactory } from '../../src/chat/port.js';
import { DiscordAdapter } from './adapter.js';

/** Discord, when DISCORD_TOKEN, DISCORD_APPLICATION_ID and DISCORD_CHANNEL_ID are set. */
export const discordAdapter: AdapterFactory = {
  name: 'discord',
  create: (context) => (context.config.discord ? new DiscordAdapter(context.config.discord, context) : undefined),
};
