import { DiscordAPIError, RESTJSONErrorCodes, Routes, ThreadAutoArchiveDuration, type REST } from 'discord.js';
import { z } from 'zod';
import type { ThreadedSurface } from '../../src/chat/threads.js';
import type { MessageDoc } from '../../src/chat/view/doc.js';
import { messageBody } from './embeds.js';

/** Where a message is: what edits and replies need, stored in Redis by ThreadedDelivery. */
export interface DiscordRef {
  readonly channelId: string;
  readonly messageId: string;
}

const posted = z.object({ id: z.string(), channel_id: z.string() });
const thread = z.object({ id: z.string() });

/** Notices whose thread this process started or found; more are found again by their 160004. */
const KNOWN_THREADS_MAX = 10_000;

/** The thread under a notice holds whatever follows it, whichever comes first. */
const THREAD_NAME = 'Results and updates';

/**
 * Discord as a threaded surface: notices go to the configured channel, and
 * what belongs to a notice (results, resolutions) goes to a thread started
 * from it, as in Slack, so a busy channel shows one message per incident.
 * Edits change the notice in place.
 */
export class DiscordSurface implements ThreadedSurface<DiscordRef> {
  /** Saves a start per reply: a refused start still counts against Discord's invalid-request limit. */
  private readonly threads = new Set<string>();

  constructor(
    private readonly rest: REST,
    private readonly channelId: string,
  ) {}

  async post(doc: MessageDoc, under?: DiscordRef): Promise<DiscordRef> {
    const channel = under ? await this.threadOf(under) : this.channelId;
    const message = posted.parse(await this.rest.post(Routes.channelMessages(channel), { body: messageBody(doc) }));
    return { channelId: message.channel_id, messageId: message.id };
  }

  async update(ref: DiscordRef, doc: MessageDoc): Promise<void> {
    await this.rest.patch(Routes.channelMessage(ref.channelId, ref.messageId), { body: messageBody(doc) });
  }

  /**
   * The thread on a message, started on first use. A thread started from a
   * message has that message's id, so one another replica (or an earlier
   * run) started is found by it without remembering anything.
   */
  private async threadOf(ref: DiscordRef): Promise<string> {
    // A message posted in a thread already (a reply of a reply) answers in the same thread.
    if (ref.channelId !== this.channelId) return ref.channelId;
    if (this.threads.has(ref.messageId)) return ref.messageId;
    try {
      const started = thread.parse(
        await this.rest.post(Routes.threads(ref.channelId, ref.messageId), {
          body: {
            name: THREAD_NAME,
            auto_archive_duration: ThreadAutoArchiveDuration.OneDay,
          },
        }),
      );
      this.known(ref.messageId);
      return started.id;
    } catch (err) {
      if (!(err instanceof DiscordAPIError && err.code === RESTJSONErrorCodes.ThreadAlreadyCreatedForMessage))
        throw err;
      this.known(ref.messageId);
      return ref.messageId;
    }
  }

  private known(messageId: string): void {
    this.threads.add(messageId);
    if (this.threads.size > KNOWN_THREADS_MAX) this.threads.delete(this.threads.values().next().value!);
  }
}
