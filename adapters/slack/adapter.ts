import { setTimeout as sleep } from 'node:timers/promises';
import { App, SocketModeReceiver, webApi } from '@slack/bolt';
import type { FastifyPluginAsync } from 'fastify';
import type { Notification, ChatAdapter } from '../../src/chat/port.js';
import type { ChatServices } from '../../src/chat/services.js';
import { ThreadedDelivery } from '../../src/chat/threads.js';
import type { SlackConfig } from '../../src/config/types.js';
import { UsageError } from '../../src/cli/errors.js';
import type { Logger } from '../../src/log.js';
import { clientOptions, slackLogger } from './client.js';
import { registerInteractions } from './interactions.js';
import { FastifyReceiver } from './receiver.js';
import { SlackSurface, type SlackRef } from './surface.js';

/** Between attempts to open the first Socket Mode connection (Bolt's client reconnects on its own once connected). */
const SOCKET_RETRY_MAX_MS = 30_000;

/**
 * Slack through Bolt: notices, approval requests and results in the alert
 * channel (threads and edits by ThreadedDelivery), button clicks, the notes
 * modal and slash commands. HTTP mode serves `POST /slack/events` on the
 * bot's own server; with an app token, Socket Mode instead (no public URL).
 */
export class SlackAdapter implements ChatAdapter {
  readonly name = 'slack';
  readonly routes?: FastifyPluginAsync;
  private readonly receiver: FastifyReceiver | SocketModeReceiver;
  private readonly options: webApi.WebClientOptions;
  private delivery: ThreadedDelivery<SlackRef> | undefined;
  private connecting: Promise<void> | undefined;
  /** Ends the wait between Socket Mode connection attempts when the bot stops. */
  private readonly stopping = new AbortController();

  constructor(
    private readonly config: SlackConfig,
    private readonly services: ChatServices,
    private readonly logger: Logger,
  ) {
    this.options = clientOptions(config.apiUrl, logger);
    if (config.appToken) {
      this.receiver = new SocketModeReceiver({
        appToken: config.appToken,
        logger: slackLogger(logger),
        // The Socket Mode client makes its own Web API client (apps.connections.open): same URL, same retries.
        installerOptions: { clientOptions: { ...this.options } },
      });
    } else {
      const receiver = new FastifyReceiver(config.signingSecret, logger);
      this.receiver = receiver;
      this.routes = receiver.routes;
    }
    if (!config.channel) logger.warn('SLACK_CHANNEL is not set: notices are not posted to Slack; commands work');
  }

  async start(): Promise<void> {
    const identity = await this.identify();
    const app = new App({
      token: this.config.botToken,
      ...identity,
      // Checked above already; without an identity (Slack unreachable) Bolt asks again per event.
      tokenVerificationEnabled: false,
      convoStore: false,
      logger: slackLogger(this.logger),
      clientOptions: { ...this.options },
      receiver: this.receiver,
      ...(this.config.appToken ? { socketMode: true, appToken: this.config.appToken } : {}),
    });
    // A failed listener reaches the receiver, which logs it once and answers 500 if nothing was acked:
    // Slack then shows the person that it did not work, instead of a silently closed modal.
    app.error((err) => Promise.reject(err));
    const delivery = new ThreadedDelivery(
      'slack',
      new SlackSurface(app.client, this.config.channel ?? ''),
      this.services,
    );
    registerInteractions(app, {
      services: this.services,
      delivery,
      logger: this.logger,
    });
    this.delivery = delivery;
    this.logger.info(
      {
        apiUrl: this.options.slackApiUrl,
        mode: this.config.appToken ? 'socket' : 'http',
        channel: this.config.channel,
      },
      'slack adapter ready',
    );
    // Socket Mode connects in the background: the bot (and approvals elsewhere) must not wait for Slack.
    if (this.config.appToken) this.connecting = this.connect(app);
  }

  async deliver(n: Notification): Promise<void> {
    if (this.config.channel) await this.delivery?.deliver(n);
  }

  async close(): Promise<void> {
    this.stopping.abort();
    if (this.receiver instanceof SocketModeReceiver) {
      await this.connecting;
      // Bolt's stop() does not wait for the socket; the client's disconnect does.
      await this.receiver.client.disconnect();
    }
  }

  /**
   * auth.test: a refused token stops start-up with a clear message; an
   * unreachable Slack does not stop the bot (it is logged, and Bolt checks
   * again when the first event comes).
   */
  private async identify(): Promise<{ botId?: string; botUserId?: string }> {
    const client = new webApi.WebClient(this.config.botToken, this.options);
    try {
      const who = await client.auth.test();
      return { ...(who.bot_id ? { botId: who.bot_id } : {}), ...(who.user_id ? { botUserId: who.user_id } : {}) };
    } catch (err) {
      if (err instanceof webApi.WebAPIPlatformError)
        throw new UsageError(
          `SLACK_BOT_TOKEN was refused by ${this.options.slackApiUrl} (auth.test: ${err.data.error})`,
        );
      this.logger.error({ err, apiUrl: this.options.slackApiUrl }, 'Slack is unreachable; will retry on use');
      return {};
    }
  }

  private async connect(app: App): Promise<void> {
    for (let attempt = 1; !this.stopping.signal.aborted; attempt++) {
      try {
        await app.start();
        this.logger.info('slack socket mode connected');
        return;
      } catch (err) {
        const waitMs = Math.min(SOCKET_RETRY_MAX_MS, 1000 * 2 ** attempt);
        this.logger.error({ err, waitMs }, 'slack socket mode could not connect; retrying');
        await sleep(waitMs, undefined, { signal: this.stopping.signal }).catch(() => undefined);
      }
    }
  }
}
