import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { actionJobs, eventually } from '../helpers/bot.js';
import { snapshot } from '../helpers/core.js';
import { firewallAlert, useSlackBot, type SlackBot } from '../helpers/slack.js';
import {
  SIGNING_SECRET,
  blockActions,
  command,
  interaction,
  sendToSlackEvents,
  sign,
  slashCommand,
  type SlackUser,
} from '../helpers/slack-requests.js';

const approver: SlackUser = { id: 'UAPPROVER', name: 'alice' };
const t: SlackBot = useSlackBot();

describe('POST /slack/events', () => {
  it('refuses a bad, missing or stale signature with 401, and nothing happens', async () => {
    const { host, id, ts } = await firewallAlert(t);
    const payload = blockActions(approver, 'healgate_approve', id, ts);
    const opened = t.fake.of('views.open').length;
    const now = Math.floor(Date.now() / 1000);

    expect((await interaction(t.bot.url, payload, { secret: 'not-the-secret' })).status).toBe(401);
    expect((await interaction(t.bot.url, payload, { signature: '' })).status).toBe(401);
    expect((await interaction(t.bot.url, payload, { signature: 'v1=abc' })).status).toBe(401);
    // Correctly signed, but more than 5 minutes old: a replay.
    expect((await interaction(t.bot.url, payload, { timestamp: now - 301 })).status).toBe(401);
    const body = 'payload=' + encodeURIComponent(JSON.stringify(payload));
    const tampered = await sendToSlackEvents(
      t.bot.url,
      body.replace('UAPPROVER', 'UMALLORY'),
      'application/x-www-form-urlencoded',
      {
        signature: sign(SIGNING_SECRET, now, body),
        timestamp: now,
      },
    );
    expect(tampered.status).toBe(401);

    expect(t.fake.of('views.open').length).toBe(opened);
    expect((await t.bot.approvals.get(id))?.status).toBe('pending');
    expect(await actionJobs(t.redis, host)).toEqual([]);
    // The same request, signed now, is accepted: the refusals were about the signature alone.
    expect((await interaction(t.bot.url, payload)).status).toBe(200);
    expect(t.fake.of('views.open').length).toBe(opened + 1);
  });

  it('answers url_verification with the challenge, signed only', async () => {
    const challenge = await sendToSlackEvents(
      t.bot.url,
      JSON.stringify({ token: 'x', challenge: 'c-123', type: 'url_verification' }),
      'application/json',
    );
    expect(challenge).toMatchObject({ status: 200, json: { challenge: 'c-123' } });
    const unsigned = await sendToSlackEvents(
      t.bot.url,
      JSON.stringify({ challenge: 'c', type: 'url_verification' }),
      'application/json',
      {
        signature: '',
      },
    );
    expect(unsigned.status).toBe(401);
  });

  it('leaves the rest of the API as it was: JSON bodies still parse on /v1', async () => {
    const r = await t.bot.request('/v1/metrics', { body: snapshot({ host: 'plain-json' }) });
    expect(r).toMatchObject({ status: 202, body: { accepted: 1 } });
  });
});

describe('slash commands', () => {
  let seq = 0;
  /** Types a command as the approver; returns what the bot posted to that command's response_url. */
  async function type(name: string, text: string) {
    const url = t.fake.responseUrl(`cmd-${++seq}`);
    const r = await command(t.bot.url, slashCommand(approver, `/${name}`, text, url));
    expect(r.status).toBe(200);
    const path = new URL(url).pathname;
    return eventually(
      () => t.fake.responses.find((p) => p.path === path)?.body,
      5000,
      `the answer to /${name} ${text}`,
    );
  }

  it('/diagnose answers in the channel with the metrics, the model and the decision', async () => {
    await t.bot.request('/v1/metrics', { body: snapshot({ host: 'web-7', disk_usage: 55 }) });
    await eventually(async () => ((await t.bot.request('/v1/hosts/web-7')).status === 200 ? true : undefined));
    const answer = await type('diagnose', 'web-7');
    expect(answer).toMatchObject({ response_type: 'in_channel' });
    expect(String(answer.text)).toMatch(/^Diagnosis of web-7: NO_ACTION/);
    const blocks = JSON.stringify(answer.blocks);
    expect(blocks).toContain('*Disk*\\n55%');
    expect(blocks).toContain('*Decision*\\nNO_ACTION (healthy)');
    expect(blocks).toContain('*Open incidents*\\nnone');
  });

  it('redoes a retried command whose first attempt could not answer (its response_url failed)', async () => {
    const answers: unknown[] = [];
    let failures = 2; // the answer, then the note that it failed
    const server = createServer((req, res) => {
      let raw = '';
      req.on('data', (d: Buffer) => (raw += d.toString()));
      req.on('end', () => {
        if (failures > 0) {
          failures -= 1;
          res.writeHead(500).end();
          return;
        }
        answers.push(JSON.parse(raw));
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const fields = slashCommand(
      approver,
      '/diagnose',
      '',
      `http://127.0.0.1:${(server.address() as AddressInfo).port}/r`,
    );
    try {
      expect((await command(t.bot.url, fields)).status).toBe(200);
      await eventually(() => (failures === 0 ? true : undefined), 5000, 'the first attempt to fail');
      // Slack retries a delivery up to three times, each the same as the first.
      for (let retry = 1; retry <= 3 && answers.length === 0; retry++) {
        const headers = { 'x-slack-retry-num': String(retry), 'x-slack-retry-reason': 'http_error' };
        expect((await command(t.bot.url, fields, { headers })).status).toBe(200);
        await eventually(() => (answers.length > 0 ? true : undefined), 1000, 'an answer').catch(() => undefined);
      }
      expect(answers).toEqual([
        { response_type: 'ephemeral', text: 'Which host? Usage: /diagnose <host> — e.g. /diagnose host-1' },
      ]);
    } finally {
      server.close();
    }
  });

  it('accepts a form whose content type names a charset', async () => {
    const url = t.fake.responseUrl('charset');
    const fields = new URLSearchParams(slashCommand(approver, '/diagnose', '', url)).toString();
    const r = await sendToSlackEvents(t.bot.url, fields, 'application/x-www-form-urlencoded; charset=utf-8');
    expect(r.status).toBe(200);
    const answer = await eventually(() => t.fake.responses.find((p) => p.path === '/respond/charset')?.body);
    expect(answer.response_type).toBe('ephemeral');
    expect(answer.text).toMatch(/^Which host\?/);
  });

  it('/diagnose without a host, or with an unknown one, tells the asker alone how to use it', async () => {
    expect(await type('diagnose', '')).toEqual({
      response_type: 'ephemeral',
      text: 'Which host? Usage: /diagnose <host> — e.g. /diagnose host-1',
    });
    const unknown = await type('diagnose', 'no-such-host');
    expect(unknown).toMatchObject({ response_type: 'ephemeral' });
    expect(String(unknown.text)).toContain('no-such-host');
    expect(String(unknown.text)).toContain('Usage: /diagnose <host>');
  });

  it('/audit posts the summary from the rollups, /audit verify the chain check', async () => {
    const { host } = await firewallAlert(t);
    const summary = await type('audit', `24h ${host}`);
    expect(summary.response_type).toBe('in_channel');
    expect(summary.text).toMatch(new RegExp(`^Audit, last 24h for ${host}: \\d+ entries`));
    expect(JSON.stringify(summary.blocks)).toContain('1 requested');
    const verify = await type('audit', 'verify');
    expect(verify.response_type).toBe('in_channel');
    expect(verify.text).toMatch(/^Audit chain intact: \d+ entries verified/);
    const usage = await type('audit', '24h host-1 extra');
    expect(usage.response_type).toBe('ephemeral');
    expect(usage.text).toContain('Usage: /audit');
  });
});
