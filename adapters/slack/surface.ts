import type { webApi } from '@slack/bolt';
import { z } from 'zod';
import type { ThreadedSurface } from '../../src/chat/threads.js';
import type { MessageDoc } from '../../src/chat/view/doc.js';
import { toSlack } from './blocks.js';

/** Where a Slack message is: what chat.update and thread_ts need. */
export interface SlackRef {
  readonly channel: string;
  readonly ts: string;
}

const posted = z.object({ channel: z.string().min(1), ts: z.string().min(1) });

/** Slack as ThreadedDelivery needs it: post to the alert channel (or in a thread) and edit. */
export class SlackSurface implements ThreadedSurface<SlackRef> {
  constructor(
    private readonly client: webApi.WebClient,
    private readonly channel: string,
  ) {}

  async post(doc: MessageDoc, thread?: SlackRef): Promise<SlackRef> {
    const answer = await this.client.chat.postMessage({
      ...toSlack(doc),
      channel: thread?.channel ?? this.channel,
      ...(thread ? { thread_ts: thread.ts } : {}),
      unfurl_links: false,
      unfurl_media: false,
    });
    const ref = posted.safeParse(answer);
    if (!ref.success) throw new Error(`chat.postMessage answered without channel and ts: ${ref.error.message}`);
    return ref.data;
  }

  async update(ref: SlackRef, doc: MessageDoc): Promise<void> {
    await this.client.chat.update({ ...toSlack(doc), channel: ref.channel, ts: ref.ts });
  }
}
