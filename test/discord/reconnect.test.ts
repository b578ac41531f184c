import { describe, expect, it } from 'vitest';
import { actionJobs, eventually, startTestBot } from '../helpers/bot.js';
import type { FakeDiscord } from '../helpers/fake-discord.js';
import {
  callback,
  dana,
  discordEnv,
  ephemeralReply,
  firewallApproval,
  requestMessage,
  useDiscordBot,
} from './harness.js';

const t = useDiscordBot();

/** Asks `/audit` and waits for the answer: proof that interactions flow. */
async function auditAnswers(fake: FakeDiscord, window: string): Promise<string> {
  const asked = fake.command('audit', [{ name: 'window', type: 3, value: window }], dana);
  expect((await callback(fake, asked)).type).toBe(5);
  const edit = await eventually(() => fake.webhooks.find((w) => w.token === asked.token && w.method === 'PATCH'));
  return (edit.body?.embeds as { title: string }[])[0]!.title;
}

describe('Discord gateway', () => {
  it('identifies once and keeps the connection alive with acknowledged heartbeats', async () => {
    expect(t.fake.gateway.identifies).toBe(1);
    await eventually(() => (t.fake.gateway.heartbeats >= 2 ? true : undefined), 10_000, 'two heartbeats');
    expect(t.fake.gateway).toMatchObject({ identifies: 1, resumes: 0, sessions: 1 });
  });

  it('resumes after a dropped connection, gets the interaction sent meanwhile, and keeps working', async () => {
    t.fake.drop(4000);
    // Sent while the bot is away: Discord replays it on RESUME.
    const meanwhile = t.fake.command('audit', [{ name: 'window', type: 3, value: '3h' }], dana);
    await eventually(() => (t.fake.gateway.resumes === 1 ? true : undefined), 10_000, 'a RESUME');
    expect((await callback(t.fake, meanwhile)).type).toBe(5);
    expect(await auditAnswers(t.fake, '4h')).toBe('Audit, last 4h');
    expect(t.fake.gateway.identifies).toBe(1);
  });

  it('identifies again when the session is invalidated, and keeps working', async () => {
    t.fake.invalidateSession();
    await eventually(
      () => (t.fake.gateway.identifies === 2 && t.fake.gateway.sessions === 1 ? true : undefined),
      15_000,
      'a new IDENTIFY',
    );
    expect(await auditAnswers(t.fake, '5h')).toBe('Audit, last 5h');
  });

  it('with a second replica logged in, posts a request once and answers a click once', async () => {
    const replica = await startTestBot(t.redis, discordEnv(t.fake));
    try {
      await eventually(() => (t.fake.gateway.sessions === 2 ? true : undefined), 10_000, 'two sessions');
      expect(t.fake.calls.filter((c) => c.method === 'PUT')).toHaveLength(1);
      const { host, id } = await firewallApproval(t.bot);
      const message = await requestMessage(t.fake, id);
      const submit = t.fake.modalSubmit(message, `healgate:approve:${id}`, 'one of us', dana);
      expect(await ephemeralReply(t.fake, submit)).toMatch(/^Approved /);
      await eventually(() => (message.components.length === 0 ? true : undefined), 10_000, 'the decision edit');

      expect(t.fake.callbacks.filter((c) => c.id === submit.id)).toHaveLength(1);
      const requests = [...t.fake.messages.values()].filter((m) => JSON.stringify(m.embeds).includes(id));
      expect(requests).toEqual([message]);
      expect((await actionJobs(t.redis, host)).map((j) => j.id)).toEqual([id]);
    } finally {
      await replica.close();
    }
  });

  // Last: it stops this file's Redis for a while.
  it('refuses a decision at once while Redis is unreachable, rather than letting it land later', async () => {
    const { id } = await firewallApproval(t.bot);
    const message = await requestMessage(t.fake, id);
    await t.redis.kill();
    await eventually(() => (t.bot.connection.redis.status !== 'ready' ? true : undefined));
    const submit = t.fake.modalSubmit(message, `healgate:approve:${id}`, 'during the outage', dana);
    expect(await ephemeralReply(t.fake, submit)).toBe(
      'healgate cannot reach its Redis right now; nothing changed. Try again shortly.',
    );
    await t.redis.restart();
    await eventually(async () => ((await t.bot.request('/readyz')).status === 200 ? true : undefined), 15_000);
    expect((await t.bot.approvals.get(id))?.status).toBe('pending');
    expect(message.components.length).toBeGreaterThan(0);
  });
});
