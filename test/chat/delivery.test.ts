import { describe, expect, it } from 'vitest';
import { eventually, notifierCaughtUp } from '../helpers/bot.js';
import { firewallApproval, ids, requestMessage, useDiscordBot } from '../discord/harness.js';
import { buttonsOf, firewallAlert, useSlackBot } from '../helpers/slack.js';

// Quick retries here; in production the wait grows from 1 s to 30 s.
const retries = { deliveryRetryMs: { first: 100, max: 500 } };
const slack = useSlackBot(() => Promise.resolve({}), retries);
const discord = useDiscordBot(() => Promise.resolve({}), retries);

describe('a chat platform that fails for a while', () => {
  for (const n of [1, 4, 20])
    it(`Slack failing the next ${n} posts still gets the approval request, exactly once`, async () => {
      slack.fake.failNext('chat.postMessage', n);
      // The Slack client retries a 500 three times itself: 20 failures take a few of the notifier's rounds.
      const { host, id } = await firewallApproval(slack.bot, 'slack:UREQUESTER');
      const shown = () =>
        slack.fake.of('chat.postMessage').filter((c) => String(c.args.text).includes(host) && buttonsOf(c).length > 0);
      await eventually(() => (shown().length > 0 ? true : undefined), 60_000, 'the approval message');
      await notifierCaughtUp(slack.redis);
      expect(shown()).toHaveLength(1);
      expect(buttonsOf(shown()[0]!)[0]?.value).toBe(id);
    });

  for (const n of [1, 4, 20])
    it(`Discord failing the next ${n} posts (500) still gets the approval request, exactly once`, async () => {
      const isPost = (c: { method: string; path: string }) =>
        c.method === 'POST' && c.path === `/channels/${ids.channelId}/messages`;
      discord.fake.failNext(isPost, { status: 500, times: n });
      const { id } = await firewallApproval(discord.bot);
      const message = await requestMessage(discord.fake, id);
      await notifierCaughtUp(discord.redis);
      const requests = [...discord.fake.messages.values()].filter((m) =>
        String((m.embeds[0]?.footer as { text?: string } | undefined)?.text).startsWith(id),
      );
      expect(requests).toEqual([message]);
    });

  it('a platform that fails holds up no other: Slack gets its request while Discord is failing', async () => {
    const isPost = (c: { method: string; path: string }) => c.method === 'POST' && c.path.endsWith('/messages');
    // Long enough to outlast every quick retry of this test.
    discord.fake.failNext(isPost, { status: 500, times: 1000 });
    const { host } = await firewallAlert(slack);
    await eventually(
      () => slack.fake.of('chat.postMessage').find((c) => String(c.args.text).includes(host)),
      10_000,
      'the Slack post',
    );
    discord.fake.failNext(isPost, { status: 500, times: 0 });
  });
});
