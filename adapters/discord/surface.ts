import { Routes, type REST } from 'discord.js';
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

/**
 * Discord as a threaded surface: notices go to the configured channel, and
 * what belongs to a notice (results, resolutions) is posted as a reply to
 * it, so it reads as a reply chain under the notice without needing the
 * thread permissions. Edits change the notice in place.
 */
export class DiscordSurface implements ThreadedSurface<DiscordRef> {
  constructor(
    private readonly rest: REST,
    private readonly channelId: string,
  ) {}

  async post(doc: MessageDoc, thread?: DiscordRef): Promise<DiscordRef> {
    const body = {
      ...messageBody(doc),
      ...(thread
        ? {
            message_reference: {
              message_id: thread.messageId,
              channel_id: thread.channelId,
              fail_if_not_exists: false,
            },
          }
        : {}),
    };
    const message = posted.parse(
      await this.rest.post(Routes.channelMessages(thread?.channelId ?? this.channelId), { body }),
    );
    return { channelId: message.channel_id, messageId: message.id };
  }

  async update(ref: DiscordRef, doc: MessageDoc): Promise<void> {
    await this.rest.patch(Routes.channelMessage(ref.channelId, ref.messageId), { body: messageBody(doc) });
  }
}
