import { afterAll, beforeAll, expect } from 'vitest';
import type { BotOptions } from '../../src/bot/bot.js';
import { eventually, useBot, type TestBot } from './bot.js';
import { snapshot } from './core.js';
import { FakeSlack, type SlackCall } from './fake-slack.js';
import type { TestRedis } from './redis.js';
import { CHANNEL, SIGNING_SECRET } from './slack-requests.js';

export interface SlackBot {
  readonly fake: FakeSlack;
  readonly redis: TestRedis;
  readonly bot: TestBot;
}

/** A fake Slack, then a Redis and a bot configured for it (HTTP mode unless `env` says otherwise). */
export function useSlackBot(
  env: () => Promise<Record<string, string>> = () => Promise.resolve({}),
  options: BotOptions = {},
): SlackBot {
  const fake = new FakeSlack();
  // Registered first, so it stops after the bot (vitest runs after-hooks in reverse).
  beforeAll(() => fake.start());
  afterAll(() => fake.stop());
  const t = useBot(
    async () => ({
      SLACK_BOT_TOKEN: 'xoxb-1-test-token',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_CHANNEL: CHANNEL,
      SLACK_API_URL: fake.apiUrl,
      ...(await env()),
    }),
    options,
  );
  return {
    fake,
    get redis() {
      return t.redis;
    },
    get bot() {
      return t.bot;
    },
  };
}

/** The blocks of a posted or updated message, as the fake received them. */
export type Blocks = {
  type: string;
  block_id?: string;
  elements?: { action_id?: string; style?: string; value?: string }[];
}[];
export const blocksOf = (call: SlackCall) => call.args.blocks as Blocks;
export const buttonsOf = (call: SlackCall) =>
  blocksOf(call).flatMap((b) => (b.type === 'actions' ? (b.elements ?? []) : []));

let hostSeq = 0;

/** A firewall change request on a fresh host, up to its approval message in the channel. */
export async function firewallAlert(
  t: SlackBot,
  requestedBy = 'slack:UREQUESTER',
): Promise<{ host: string; id: string; ts: string; message: SlackCall }> {
  const host = `fw-${++hostSeq}-${process.pid}`;
  await t.bot.request('/v1/metrics', { body: snapshot({ host }) });
  await eventually(async () => ((await t.bot.request(`/v1/hosts/${host}`)).status === 200 ? true : undefined));
  const r = await t.bot.request('/v1/requests/firewall', {
    body: { host, action: 'open', port: 8443, protocol: 'tcp', reason: 'new health check', requested_by: requestedBy },
  });
  expect(r.status).toBe(202);
  const message = await eventually(
    () => t.fake.of('chat.postMessage').find((c) => String(c.args.text).includes(host) && buttonsOf(c).length > 0),
    10_000,
    'the approval message',
  );
  const id = buttonsOf(message)[0]!.value!;
  const ts = await eventually(async () => {
    const record = await t.bot.approvals.get(id);
    return (record?.messages.slack as { ts?: string } | undefined)?.ts;
  });
  return { host, id, ts, message };
}

/** The updates of one message, oldest first. */
export const updatesOf = (t: SlackBot, ts: string) => t.fake.of('chat.update').filter((c) => c.args.ts === ts);
