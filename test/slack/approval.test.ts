import { describe, expect, it } from 'vitest';
import { auditEntriesOf, actionJobs, eventually, notifierCaughtUp } from '../helpers/bot.js';
import { publishFirewallDryRun } from '../helpers/events.js';
import { blocksOf, buttonsOf, firewallAlert, updatesOf, useSlackBot, type SlackBot } from '../helpers/slack.js';
import {
  CHANNEL,
  blockActions,
  interaction,
  modalError,
  viewSubmission,
  type SlackUser,
} from '../helpers/slack-requests.js';

const approver: SlackUser = { id: 'UAPPROVER', name: 'alice' };
const mallory: SlackUser = { id: 'UMALLORY', name: 'mallory' };

const t: SlackBot = useSlackBot();

interface OpenedView {
  callback_id: string;
  private_metadata: string;
  blocks: { block_id?: string; optional?: boolean }[];
}

/** Clicks a button as `user` and returns the modal the bot opened for that click. */
async function click(user: SlackUser, action: 'healgate_approve' | 'healgate_reject', id: string, ts: string) {
  const before = t.fake.of('views.open').length;
  const r = await interaction(t.bot.url, blockActions(user, action, id, ts));
  expect(r.status).toBe(200);
  const call = t.fake.of('views.open')[before];
  expect(call, 'a modal was opened').toBeDefined();
  return call!.args.view as OpenedView;
}

/** The host's entries of a type; a decision's once it is recorded (refusals are written as they happen). */
async function auditOf(host: string, type: string) {
  return auditEntriesOf(t.bot, `host=${host}&type=${type}`, type === 'approval.refused' ? 0 : 1);
}

describe('Slack approval flow', () => {
  it('posts the request with both buttons; Approve opens the notes modal, submitting it approves, updates the message and runs the action once', async () => {
    const { host, id, ts, message } = await firewallAlert(t);
    expect(message.args.channel).toBe(CHANNEL);
    expect(message.token).toBe('xoxb-1-test-token');
    expect(String(message.args.text)).toContain(
      `Approval needed on ${host}: firewall_port_change (rule=allow, port=8443`,
    );
    expect(buttonsOf(message)).toEqual([
      expect.objectContaining({ action_id: 'healgate_approve', style: 'primary', value: id }),
      expect.objectContaining({ action_id: 'healgate_reject', style: 'danger', value: id }),
    ]);
    const shown = JSON.stringify(blocksOf(message));
    // People as mentions, the expiry in each reader's own time zone.
    expect(shown).toContain('*Requested by*\\n<@UREQUESTER>');
    const expires = Date.parse((await t.bot.approvals.get(id))!.expires_at);
    expect(shown).toContain(
      `*Expires*\\n<!date^${Math.floor(expires / 1000)}^{date_short_pretty} {time}|${new Date(expires).toISOString().slice(0, 16).replace('T', ' ')} UTC>`,
    );
    expect(shown).toContain('new health check');

    const view = await click(approver, 'healgate_approve', id, ts);
    expect(view.callback_id).toBe('healgate_decision');
    expect(JSON.parse(view.private_metadata)).toEqual({ id, choice: 'approve', channel: CHANNEL, ts });
    expect(view.blocks.find((b) => b.block_id === 'notes')).toMatchObject({ optional: true });

    const submitted = await interaction(t.bot.url, viewSubmission(approver, view, 'checked with the app team'));
    expect(submitted).toMatchObject({ status: 200, text: '' });

    const updated = await eventually(() => updatesOf(t, ts).at(-1), 5000, 'the message update');
    expect(updated.args.channel).toBe(CHANNEL);
    expect(String(updated.args.text)).toMatch(
      // The fallback (a phone's notification) has the mention and the date too: Slack renders both there.
      /^Approved by <@UAPPROVER> at <!date\^\d+\^\{date_short_pretty\} \{time\}\|\d{4}-\d\d-\d\d \d\d:\d\d UTC>: checked with the app team/,
    );
    expect(buttonsOf(updated)).toEqual([]);
    expect(blocksOf(updated)[0]).toMatchObject({
      type: 'header',
      text: { text: `:white_check_mark: Approved — firewall_port_change on ${host}` },
    });
    const decided = JSON.stringify(blocksOf(updated));
    expect(decided).toMatch(
      /\*Decision\*\\nApproved by <@UAPPROVER> at <!date\^\d+\^\{date_short_pretty\} \{time\}\|[^>]+>: checked with the app team/,
    );
    expect(decided).toContain("*Result*\\nrunning: queued for the host's agent");
    expect(decided).not.toContain('needs approval');
    expect(decided).not.toContain('*Expires*');

    const jobs = await actionJobs(t.redis, host);
    expect(jobs.map((j) => j.id)).toEqual([id]);
    expect(await auditOf(host, 'approval.approved')).toMatchObject([
      { actor: 'slack:UAPPROVER', platform: 'slack', notes: 'checked with the app team', approval_id: id },
    ]);
    // The notifier delivers the same decision too, finds it shown already and leaves the message alone.
    await notifierCaughtUp(t.redis);
    expect(updatesOf(t, ts)).toHaveLength(1);

    // The result goes to the thread, and the request is edited again to say how it ended.
    await publishFirewallDryRun(t.redis.client(), host, id);
    const reply = await eventually(
      () => t.fake.of('chat.postMessage').find((c) => c.args.thread_ts === ts),
      10_000,
      'the result in the thread',
    );
    expect(String(reply.args.text)).toBe(`firewall_port_change on ${host}: dry-run (dry-run)`);
    const outcome = await eventually(() => updatesOf(t, ts)[1], 10_000, 'the second edit');
    const final = JSON.stringify(blocksOf(outcome));
    expect(final).toContain('*Result*\\ndry-run: nothing changed');
    expect(final).toContain('<@UAPPROVER>');
  });

  it('rejects with notes: the modal requires them, the message says who and why, nothing runs', async () => {
    const { host, id, ts } = await firewallAlert(t);
    const view = await click(approver, 'healgate_reject', id, ts);
    expect(JSON.parse(view.private_metadata)).toMatchObject({ choice: 'reject' });
    expect(view.blocks.find((b) => b.block_id === 'notes')).toMatchObject({ optional: false });

    const empty = await interaction(t.bot.url, viewSubmission(approver, view, '   '));
    expect(empty).toMatchObject({
      status: 200,
      json: modalError('A rejection needs notes: say why.'),
    });
    expect((await t.bot.approvals.get(id))?.status).toBe('pending');

    const r = await interaction(t.bot.url, viewSubmission(approver, view, 'port must stay closed until the audit'));
    expect(r).toMatchObject({ status: 200, text: '' });
    const updated = await eventually(() => updatesOf(t, ts).at(-1), 5000, 'the message update');
    expect(String(updated.args.text)).toMatch(
      /^Rejected by <@UAPPROVER> at <!date\^\d+\^\{date_short_pretty\} \{time\}\|\d{4}-\d\d-\d\d \d\d:\d\d UTC>: port must stay closed until the audit — no action taken/,
    );
    expect(JSON.stringify(blocksOf(updated))).not.toContain('*Result*');
    expect(buttonsOf(updated)).toEqual([]);
    expect(await actionJobs(t.redis, host)).toEqual([]);
    expect(await auditOf(host, 'approval.rejected')).toMatchObject([
      { actor: 'slack:UAPPROVER', notes: 'port must stay closed until the audit' },
    ]);
  });

  it('refuses someone who is not an approver, and the requester, at the click: no modal, who may decide instead', async () => {
    const { host, id, ts } = await firewallAlert(t, 'slack:UAPPROVER');
    const opened = t.fake.of('views.open').length;
    const audited = (await auditOf(host, 'approval.refused')).length;
    for (const [user, action] of [
      [mallory, 'healgate_approve'],
      [approver, 'healgate_reject'],
    ] as const)
      expect((await interaction(t.bot.url, blockActions(user, action, id, ts))).status).toBe(200);
    expect(t.fake.of('views.open')).toHaveLength(opened);
    const told = t.fake
      .of('chat.postEphemeral')
      .slice(-2)
      .map((c) => c.args);
    expect(told).toEqual([
      expect.objectContaining({
        channel: CHANNEL,
        user: 'UMALLORY',
        text: 'slack:UMALLORY is not an approver for firewall_port_change. Who may decide it: console:alice, <@UAPPROVER>.',
      }),
      expect.objectContaining({
        user: 'UAPPROVER',
        text: 'You requested this change; someone else has to approve or reject it. Who may decide it: console:alice.',
      }),
    ]);
    expect((await t.bot.approvals.get(id))?.status).toBe('pending');
    expect(await actionJobs(t.redis, host)).toEqual([]);
    // A click decides nothing: no refusal to audit.
    expect(await auditOf(host, 'approval.refused')).toHaveLength(audited);
    expect(updatesOf(t, ts)).toEqual([]);
  });

  it('still refuses at the submit (a form opened before, a forged submission); nothing changes', async () => {
    const { host, id, ts } = await firewallAlert(t, 'slack:UAPPROVER');
    const meta = JSON.stringify({ id, choice: 'approve', channel: CHANNEL, ts });
    const view = { callback_id: 'healgate_decision', private_metadata: meta, blocks: [] };
    const refused = await interaction(t.bot.url, viewSubmission(mallory, view, 'trust me'));
    expect(refused.json).toEqual(modalError('slack:UMALLORY is not an approver for firewall_port_change.'));
    const fourEyes = await interaction(t.bot.url, viewSubmission(approver, view, 'my own change'));
    expect(fourEyes.json).toMatchObject(
      modalError('You requested this change; someone else has to approve or reject it.'),
    );

    expect((await t.bot.approvals.get(id))?.status).toBe('pending');
    expect(await actionJobs(t.redis, host)).toEqual([]);
    expect(updatesOf(t, ts)).toEqual([]);
    expect((await auditOf(host, 'approval.refused')).map((e) => [e.actor, e.outcome])).toEqual([
      ['slack:UAPPROVER', 'four_eyes'],
      ['slack:UMALLORY', 'not_approver'],
    ]);
  });

  it('handles a double click, a repeated delivery and a second submission once: one modal, one job', async () => {
    const { host, id, ts } = await firewallAlert(t);
    const opened = t.fake.of('views.open').length;
    const clicks = await Promise.all([
      interaction(t.bot.url, blockActions(approver, 'healgate_approve', id, ts)),
      interaction(t.bot.url, blockActions(approver, 'healgate_approve', id, ts)),
    ]);
    expect(clicks.map((c) => c.status)).toEqual([200, 200]);
    expect(t.fake.of('views.open').length).toBe(opened + 1);
    const view = t.fake.of('views.open').at(-1)!.args.view as OpenedView;
    // Changing one's mind is not a double click: the other button opens its own modal.
    const other = await click(approver, 'healgate_reject', id, ts);
    expect(JSON.parse(other.private_metadata)).toMatchObject({ choice: 'reject' });

    const submission = viewSubmission(approver, view, 'ship it');
    const retried = { headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } };
    const [first, repeat] = await Promise.all([
      interaction(t.bot.url, submission),
      interaction(t.bot.url, submission, retried),
    ]);
    expect([first.status, repeat.status]).toEqual([200, 200]);
    const again = await interaction(t.bot.url, viewSubmission(approver, view, 'ship it again'));
    expect(again.json).toEqual(modalError('Already approved by alice.'));

    expect((await actionJobs(t.redis, host)).map((j) => j.id)).toEqual([id]);
    expect(await auditOf(host, 'approval.approved')).toHaveLength(1);
    expect((await t.bot.approvals.get(id))?.notes).toBe('ship it');
  });

  it('answers a click on a request that is already decided with a note to the clicker, not a modal', async () => {
    const { id, ts } = await firewallAlert(t);
    const view = await click(approver, 'healgate_approve', id, ts);
    await interaction(t.bot.url, viewSubmission(approver, view, 'fine'));
    const opened = t.fake.of('views.open').length;
    const late = await interaction(t.bot.url, blockActions(mallory, 'healgate_reject', id, ts));
    expect(late.status).toBe(200);
    expect(t.fake.of('views.open').length).toBe(opened);
    expect(t.fake.of('chat.postEphemeral').at(-1)?.args).toMatchObject({
      channel: CHANNEL,
      user: 'UMALLORY',
      text: expect.stringMatching(/^Approved by <@UAPPROVER> at <!date\^\d+\^[^|]+\|[^>]+>: fine\.$/) as unknown,
    });
  });

  it('waits out a rate limit (429 + Retry-After) and still posts the request', async () => {
    t.fake.rateLimit('chat.postMessage', 1);
    const { message } = await firewallAlert(t);
    expect(buttonsOf(message)).toHaveLength(2);
  });

  it('updates the Slack message when the request is decided elsewhere (the console)', async () => {
    const { host, id, ts } = await firewallAlert(t);
    const decided = await t.bot.approvals.approve(id, { platform: 'console', userId: 'alice' }, 'from the console');
    expect(decided.ok).toBe(true);
    const updated = await eventually(() => updatesOf(t, ts).at(-1), 10_000, 'the message update');
    expect(String(updated.args.text)).toMatch(
      /^Approved by console:alice at <!date\^\d+\^\{date_short_pretty\} \{time\}\|\d{4}-\d\d-\d\d \d\d:\d\d UTC>: from the console/,
    );
    expect(buttonsOf(updated)).toEqual([]);
    expect((await actionJobs(t.redis, host)).map((j) => j.id)).toEqual([id]);
  });

  // Last: it stops this file's Redis for a while.
  it('refuses a decision at once while Redis is unreachable, rather than letting it land later', async () => {
    const { id, ts } = await firewallAlert(t);
    const view = await click(approver, 'healgate_approve', id, ts);
    await t.redis.kill();
    await eventually(() => (t.bot.connection.redis.status !== 'ready' ? true : undefined));
    const refused = await interaction(t.bot.url, viewSubmission(approver, view, 'during the outage'));
    expect(refused.json).toEqual(
      modalError('healgate cannot reach its Redis right now; nothing changed. Try again shortly.'),
    );
    await t.redis.restart();
    await eventually(async () => ((await t.bot.request('/readyz')).status === 200 ? true : undefined), 15_000);
    const record = await t.bot.approvals.get(id);
    expect(record?.status === 'approved').toBe(false);
  });
});
