import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBot } from '../helpers/bot.js';
import { FakeSlack } from '../helpers/fake-slack.js';
import { freePort, startRedis, type TestRedis } from '../helpers/redis.js';
import { SIGNING_SECRET } from '../helpers/slack-requests.js';

const fake = new FakeSlack();
let redis: TestRedis;
beforeAll(async () => {
  await fake.start();
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
  await fake.stop();
});

const slackEnv = (token: string, apiUrl = fake.apiUrl) => ({
  SLACK_BOT_TOKEN: token,
  SLACK_SIGNING_SECRET: SIGNING_SECRET,
  SLACK_CHANNEL: 'CALERTS',
  SLACK_API_URL: apiUrl,
});

describe('Slack at start-up', () => {
  it('stops start-up with a clear message when Slack refuses the bot token', async () => {
    await expect(startTestBot(redis, slackEnv('xoxb-revoked'))).rejects.toThrow(
      `SLACK_BOT_TOKEN was refused by ${fake.apiUrl} (auth.test: invalid_auth)`,
    );
  });

  it('starts anyway when Slack is unreachable, rather than hanging on retries', async () => {
    const closed = `http://127.0.0.1:${await freePort()}/api/`;
    const bot = await startTestBot(redis, slackEnv('xoxb-1-test-token', closed));
    try {
      expect((await bot.request('/healthz')).status).toBe(200);
    } finally {
      await bot.close();
    }
  });

  it('is off without a bot token: no /slack/events route', async () => {
    const bot = await startTestBot(redis);
    try {
      const r = await fetch(`${bot.url}/slack/events`, { method: 'POST', body: '{}' });
      expect(r.status).toBe(404);
    } finally {
      await bot.close();
    }
  });
});
