import { DiscordAPIError, Events, type Client } from 'discord.js';
import type { AdapterContext, ChatAdapter, Notification } from '../../src/chat/port.js';
import { ThreadedDelivery } from '../../src/chat/threads.js';
import type { DiscordConfig } from '../../src/config/types.js';
import { connect, createClient, restOptions } from './client.js';
import { registerCommands } from './commands.js';
import { InteractionHandler } from './interactions.js';
import { DiscordSurface, type DiscordRef } from './surface.js';

/** Long enough for a slow gateway, short enough that a wrong DISCORD_API_URL fails the start visibly. */
const READY_TIMEOUT_MS = 30_000;

/**
 * Discord over the gateway (discord.js): notices and approval requests as
 * embeds with buttons in one channel, decisions through a notes modal,
 * `/diagnose` and `/audit` as slash commands.
 */
export class DiscordAdapter implements ChatAdapter {
  readonly name = 'discord';
  private readonly client: Client;
  private readonly delivery: ThreadedDelivery<DiscordRef>;

  constructor(
    private readonly config: DiscordConfig,
    private readonly context: AdapterContext,
  ) {
    const { logger, services } = context;
    this.client = createClient(config);
    this.delivery = new ThreadedDelivery('discord', new DiscordSurface(this.client.rest, config.channelId), services);
    const interactions = new InteractionHandler(services, logger);
    this.client.on(Events.InteractionCreate, (i) => void interactions.handle(i));
    this.client.on(Events.ShardDisconnect, (e) => logger.warn({ code: e.code }, 'discord: gateway closed for good'));
    this.client.on(Events.ShardReconnecting, () => logger.info('discord: gateway reconnecting'));
    this.client.on(Events.ShardResume, (_, replayed) => logger.info({ replayed }, 'discord: gateway session resumed'));
    this.client.on(Events.Error, (err) => logger.error({ err }, 'discord: client error'));
    this.client.on(Events.Warn, (message) => logger.warn(message));
  }

  deliver(notification: Notification): Promise<void> {
    return this.delivery.deliver(notification);
  }

  async start(): Promise<void> {
    const { config, context } = this;
    context.logger.info(
      { api: restOptions(config.apiUrl), channel: config.channelId, guild: config.guildId ?? null },
      'discord: connecting',
    );
    const commands = await registerCommands(this.client.rest, {
      applicationId: config.applicationId,
      ...(config.guildId ? { guildId: config.guildId } : {}),
    }).catch((err: unknown) => {
      throw err instanceof DiscordAPIError && err.status === 401
        ? new Error('Discord refused DISCORD_TOKEN (401 Unauthorized): check the bot token', { cause: err })
        : err;
    });
    context.logger.info({ commands, scope: config.guildId ? 'guild' : 'global' }, 'discord: slash commands');
    await connect(this.client, config.token, READY_TIMEOUT_MS);
    context.logger.info({ user: this.client.user?.tag }, 'discord: ready');
  }

  async close(): Promise<void> {
    await this.client.destroy();
  }
}
