import { describe, expect, it } from 'vitest';
import { eventually } from '../helpers/bot.js';
import type { FakeDiscord } from '../helpers/fake-discord.js';
import { callback, dana, useDiscordBot } from './harness.js';

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
    expect(t.fake.gateway).toMatchObject({ identifies: 1, resumes: 0, connected: true });
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
      () => (t.fake.gateway.identifies === 2 && t.fake.gateway.connected ? true : undefined),
      15_000,
      'a new IDENTIFY',
    );
    expect(await auditAnswers(t.fake, '5h')).toBe('Audit, last 5h');
  });
});
