import { describe, expect, it } from 'vitest';
import { actionJobs, eventually } from '../helpers/bot.js';
import { buttonsOf, firewallAlert, updatesOf, useSlackBot, type SlackBot } from '../helpers/slack.js';
import { blockActions, slashCommand, viewSubmission, type SlackUser } from '../helpers/slack-requests.js';

const approver: SlackUser = { id: 'UAPPROVER', name: 'alice' };
const t: SlackBot = useSlackBot(() => Promise.resolve({ SLACK_APP_TOKEN: 'xapp-1-A0001-test' }));

describe('Socket Mode', () => {
  it('connects with the app token through SLACK_API_URL, and serves no /slack/events', async () => {
    await eventually(() => (t.fake.connections === 1 ? true : undefined), 10_000, 'the socket connection');
    expect(t.fake.of('apps.connections.open').map((c) => c.token)).toEqual(['xapp-1-A0001-test']);
    const r = await fetch(`${t.bot.url}/slack/events`, { method: 'POST', body: '{}' });
    expect(r.status).toBe(404);
  });

  it('approves over the socket: click → modal, submission acked → message updated, one job', async () => {
    await eventually(() => (t.fake.connections === 1 ? true : undefined), 10_000, 'the socket connection');
    const { host, id, ts } = await firewallAlert(t);
    const clicked = t.fake.envelope('interactive', blockActions(approver, 'healgate_approve', id, ts));
    await eventually(() => t.fake.acks.get(clicked), 5000, 'the ack of the click');
    const call = await eventually(() => t.fake.of('views.open').at(-1), 5000, 'the modal');
    const view = call.args.view as { callback_id: string; private_metadata: string };

    const submitted = t.fake.envelope('interactive', viewSubmission(approver, view, 'via socket'));
    expect(await eventually(() => t.fake.acks.get(submitted), 5000, 'the ack of the submission')).toEqual({});
    const updated = await eventually(() => updatesOf(t, ts).at(-1), 5000, 'the message update');
    expect(String(updated.args.text)).toMatch(/^Approved by <@UAPPROVER> at <!date\^\d+\^[^|]+\|[^>]+>: via socket/);
    expect(buttonsOf(updated)).toEqual([]);
    expect((await actionJobs(t.redis, host)).map((j) => j.id)).toEqual([id]);
  });

  it('answers a slash command that came over the socket', async () => {
    await eventually(() => (t.fake.connections === 1 ? true : undefined), 10_000, 'the socket connection');
    const url = t.fake.responseUrl('socket-audit');
    const sent = t.fake.envelope('slash_commands', slashCommand(approver, '/audit', 'verify', url));
    await eventually(() => t.fake.acks.get(sent), 5000, 'the ack of the command');
    const answer = await eventually(() => t.fake.responses.find((p) => p.path === '/respond/socket-audit')?.body);
    expect(answer.response_type).toBe('in_channel');
    expect(answer.text).toMatch(/^Audit chain intact/);
  });
});
