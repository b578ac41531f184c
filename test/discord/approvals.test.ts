import { publishDiskCleanupDryRun, publishFirewallDryRun } from '../helpers/events.js';
import { describe, expect, it } from 'vitest';
import { snapshot } from '../helpers/core.js';
import { actionJobs, eventually, policyFile } from '../helpers/bot.js';
import {
  buttonIds,
  callback,
  dana,
  ephemeralReply,
  fieldValue,
  firewallApproval,
  ids,
  mallory,
  ravi,
  requestMessage,
  useDiscordBot,
} from './harness.js';

// Each test's host is news of its own, not a storm with the host of the test before.
const t = useDiscordBot(async () => ({
  POLICY_FILE: await policyFile((y) => y.replace('group_interval: 5m', 'group_interval: 1ms')),
}));

/** The host's audit entries of a type, once there is one (the audit records events as they come). */
async function auditEntries(host: string, type: string) {
  return eventually(async () => {
    const { body } = await t.bot.request(`/v1/audit?window=1h&host=${host}&type=${type}`);
    const { entries } = body as { entries: Record<string, unknown>[] };
    return entries.length > 0 ? entries : undefined;
  });
}

describe('Discord approvals', () => {
  it('registers /diagnose and /audit as guild commands', () => {
    const registered = t.fake.commands.get(`applications/${ids.applicationId}/guilds/${ids.guildId}/commands`);
    expect(registered?.map((c) => c.name).sort()).toEqual(['audit', 'diagnose']);
  });

  it('posts the request with buttons; Approve opens the notes modal; its submit approves once, edits the message and audits', async () => {
    const { host, id } = await firewallApproval(t.bot);
    const message = await requestMessage(t.fake, id);
    expect(buttonIds(message)).toEqual([`healgate:approve:${id}`, `healgate:reject:${id}`]);
    expect(message.components[0]?.components.map((c) => [c.label, c.style])).toEqual([
      ['Approve', 3],
      ['Reject', 4],
    ]);
    expect(message.embeds[0]?.title).toContain(`firewall\\_port\\_change on ${host}`);
    expect(fieldValue(message, 'Reason')).toBe('new health check');
    // People as mentions, the expiry in each reader's time zone and counting down.
    expect(fieldValue(message, 'Requested by')).toBe('<@1111111111111111>');
    const expires = Math.floor(Date.parse((await t.bot.approvals.get(id))!.expires_at) / 1000);
    expect(fieldValue(message, 'Expires')).toBe(`<t:${expires}:f> (<t:${expires}:R>)`);
    expect(message.embeds[0]?.description).toContain('is risky: needs approval');

    const click = t.fake.button(message, `healgate:approve:${id}`, dana);
    const modal = await callback(t.fake, click);
    expect(modal.type).toBe(9);
    expect(modal.data?.custom_id).toBe(`healgate:approve:${id}`);
    expect(JSON.stringify(modal.data)).toContain('"required":false');
    expect(JSON.stringify(modal.data)).toContain(`Expires <t:${expires}:f> (<t:${expires}:R>)`);

    const submit = t.fake.modalSubmit(message, `healgate:approve:${id}`, 'checked with the app team', dana);
    expect(await ephemeralReply(t.fake, submit)).toMatch(/^Approved firewall_port_change on .* queued \(dry-run\)/);

    const edited = await eventually(() => (message.components.length === 0 ? message : undefined));
    const decidedAt = Math.floor(Date.parse((await t.bot.approvals.get(id))!.decided_at!) / 1000);
    expect(fieldValue(edited, 'Decision')).toBe(
      `Approved by <@${dana.id}> at <t:${decidedAt}:f>: checked with the app team`,
    );
    expect(fieldValue(edited, 'Result')).toBe("running: queued for the host's agent");
    expect(fieldValue(edited, 'Expires')).toBeUndefined();
    // What asked for a human is stale once one decided.
    expect(edited.embeds[0]?.description).not.toContain('needs approval');
    expect((await actionJobs(t.redis, host)).map((j) => j.id)).toEqual([id]);
    expect(await auditEntries(host, 'approval.approved')).toMatchObject([
      { actor: `discord:${dana.id}`, platform: 'discord', notes: 'checked with the app team', approval_id: id },
    ]);

    // The agent's result lands in a thread started from the request, and the request says how it ended.
    const edits = message.edits.length;
    await publishFirewallDryRun(t.redis.client(), host, id);
    const result = await eventually(() => [...t.fake.messages.values()].find((m) => m.channel_id === message.id));
    expect(t.fake.threads.get(message.id)).toMatchObject({ parent_id: ids.channelId });
    expect(
      t.fake.calls.filter(
        (c) => c.method === 'POST' && c.path === `/channels/${ids.channelId}/messages/${message.id}/threads`,
      ),
    ).toHaveLength(1);
    expect(result.message_reference).toBeUndefined();
    expect(result.embeds[0]?.title).toBe(`firewall\\_port\\_change on ${host}: dry-run`);
    expect(result.embeds[0]?.description).toContain('would run: ufw allow 8443/tcp');
    await eventually(() => (message.edits.length > edits ? true : undefined));
    expect(fieldValue(message, 'Result')).toBe('dry-run: nothing changed');
    expect(fieldValue(message, 'Decision')).toContain(`<@${dana.id}>`);
  });

  it('Reject needs notes: an empty submit is refused, a submit with notes rejects, and nothing runs', async () => {
    const { host, id } = await firewallApproval(t.bot);
    const message = await requestMessage(t.fake, id);
    const modal = await callback(t.fake, t.fake.button(message, `healgate:reject:${id}`, dana));
    expect(modal.type).toBe(9);
    expect(JSON.stringify(modal.data)).toContain('"required":true');

    const empty = t.fake.modalSubmit(message, `healgate:reject:${id}`, '  ', dana);
    expect(await ephemeralReply(t.fake, empty)).toBe('A rejection needs notes: say why.');
    expect(await t.bot.approvals.get(id)).toMatchObject({ status: 'pending' });

    const submit = t.fake.modalSubmit(message, `healgate:reject:${id}`, 'port 8443 is not ours', dana);
    expect(await ephemeralReply(t.fake, submit)).toBe(`Rejected firewall_port_change on ${host}; nothing will run.`);
    await eventually(() => (message.components.length === 0 ? true : undefined));
    expect(fieldValue(message, 'Decision')).toMatch(
      new RegExp(`^Rejected by <@${dana.id}> at <t:\\d+:f>: port 8443 is not ours — no action taken$`),
    );
    expect(fieldValue(message, 'Result')).toBeUndefined();
    expect(await actionJobs(t.redis, host)).toEqual([]);
    expect(await auditEntries(host, 'approval.rejected')).toMatchObject([
      { actor: `discord:${dana.id}`, notes: 'port 8443 is not ours' },
    ]);
  });

  it('refuses someone who is not an approver, and the requester (four eyes), with ephemeral replies that change nothing', async () => {
    const { host, id } = await firewallApproval(t.bot, `discord:${dana.id}`);
    const message = await requestMessage(t.fake, id);

    const stranger = t.fake.modalSubmit(message, `healgate:approve:${id}`, 'lgtm', mallory);
    expect(await ephemeralReply(t.fake, stranger)).toBe(
      `discord:${mallory.id} is not an approver for firewall_port_change.`,
    );
    const requester = t.fake.modalSubmit(message, `healgate:approve:${id}`, 'mine', dana);
    expect(await ephemeralReply(t.fake, requester)).toBe(
      'You requested this change; someone else has to approve or reject it.',
    );

    expect(await t.bot.approvals.get(id)).toMatchObject({ status: 'pending' });
    expect(buttonIds(message)).toHaveLength(2);
    expect(message.edits).toEqual([]);
    expect(await actionJobs(t.redis, host)).toEqual([]);
    expect((await auditEntries(host, 'approval.refused')).map((e) => [e.actor, e.outcome]).sort()).toEqual(
      [
        [`discord:${dana.id}`, 'four_eyes'],
        [`discord:${mallory.id}`, 'not_approver'],
      ].sort(),
    );
  });

  it('refuses at the click, before any form: who may decide, and why not you', async () => {
    const { host, id } = await firewallApproval(t.bot, `discord:${dana.id}`);
    const message = await requestMessage(t.fake, id);

    const stranger = t.fake.button(message, `healgate:approve:${id}`, mallory);
    expect(await ephemeralReply(t.fake, stranger)).toBe(
      `discord:${mallory.id} is not an approver for firewall\\_port\\_change. Who may decide it: <@${dana.id}>, Discord role ${ids.netops}, console:alice.`,
    );
    const requester = t.fake.button(message, `healgate:reject:${id}`, dana);
    expect(await ephemeralReply(t.fake, requester)).toBe(
      `You requested this change; someone else has to approve or reject it. Who may decide it: Discord role ${ids.netops}, console:alice.`,
    );
    // Neither click opened the notes modal.
    expect(t.fake.callbacks.filter((c) => [stranger.id, requester.id].includes(c.id)).map((c) => c.type)).toEqual([
      4, 4,
    ]);
    expect(await t.bot.approvals.get(id)).toMatchObject({ status: 'pending' });
    expect(message.edits).toEqual([]);
    expect(await actionJobs(t.redis, host)).toEqual([]);
  });

  it('accepts an approver by Discord role (discord-role:<id>)', async () => {
    const { host, id } = await firewallApproval(t.bot);
    const message = await requestMessage(t.fake, id);
    const submit = t.fake.modalSubmit(message, `healgate:approve:${id}`, 'netops on call', ravi);
    expect(await ephemeralReply(t.fake, submit)).toMatch(/^Approved /);
    expect((await actionJobs(t.redis, host)).map((j) => j.id)).toEqual([id]);
    expect(await auditEntries(host, 'approval.approved')).toMatchObject([
      { actor: `discord:${ravi.id}`, notes: 'netops on call' },
    ]);
  });

  it('runs a double submit once, and answers a replayed interaction once', async () => {
    const { host, id } = await firewallApproval(t.bot);
    const message = await requestMessage(t.fake, id);
    const first = t.fake.modalSubmit(message, `healgate:approve:${id}`, 'go', dana);
    const second = t.fake.modalSubmit(message, `healgate:approve:${id}`, 'go', ravi);
    t.fake.replay(first);
    const replies = [await ephemeralReply(t.fake, first), await ephemeralReply(t.fake, second)];
    expect(replies.filter((r) => r.startsWith('Approved '))).toHaveLength(1);
    expect(replies.filter((r) => r.startsWith('Already approved by '))).toHaveLength(1);
    // The replay carries nothing to wait for when handled right (no answer): give it time to answer wrongly.
    await new Promise((r) => setTimeout(r, 500));
    expect(t.fake.callbacks.filter((c) => c.id === first.id)).toHaveLength(1);
    expect((await actionJobs(t.redis, host)).map((j) => j.id)).toEqual([id]);
    expect(await auditEntries(host, 'approval.approved')).toHaveLength(1);
  });

  it('edits the Discord message when the request is decided elsewhere, and a late click is told so', async () => {
    const { id } = await firewallApproval(t.bot);
    const message = await requestMessage(t.fake, id);
    const decided = await t.bot.approvals.approve(
      id,
      { platform: 'console', userId: 'alice', displayName: 'Alice' },
      'from the console',
    );
    expect(decided.ok).toBe(true);
    await eventually(() => (message.components.length === 0 ? true : undefined));
    expect(fieldValue(message, 'Decision')).toMatch(
      /^Approved by Alice \(console:alice\) at <t:\d+:f>: from the console$/,
    );

    const late = t.fake.button(message, `healgate:approve:${id}`, dana);
    expect(await ephemeralReply(t.fake, late)).toMatch(
      /^Already decided: Approved by Alice \(console:alice\) at <t:\d+:f>: from the console\.$/,
    );
  });

  it('posts an auto-heal notice as an embed, its resolution in its thread, and marks the notice resolved', async () => {
    const host = `heal-${Date.now().toString(36)}`;
    await t.bot.request('/v1/metrics', { body: snapshot({ host, disk_usage: 95 }) });
    const notice = await eventually(() =>
      [...t.fake.messages.values()].find((m) => String(m.embeds[0]?.title).startsWith(`Auto-heal on ${host}`)),
    );
    expect(notice.components).toEqual([]);
    expect(fieldValue(notice, 'Disk')).toMatch(/^95%/);
    expect(fieldValue(notice, 'Action')).toBe('disk\\_cleanup');
    expect(fieldValue(notice, 'Mode')).toBe('dry-run (nothing is changed)');

    expect(fieldValue(notice, 'Result')).toBe("running: queued for the host's agent");

    await t.bot.request('/v1/metrics', { body: snapshot({ host, disk_usage: 40 }) });
    const reply = await eventually(() => [...t.fake.messages.values()].find((m) => m.channel_id === notice.id));
    expect(t.fake.threads.get(notice.id)?.name).toBe('Results and updates');
    expect(reply.embeds[0]?.title).toBe(`Resolved on ${host}`);
    await eventually(() => (String(notice.embeds[0]?.title).startsWith('Resolved: ') ? true : undefined));
    expect(fieldValue(notice, 'Resolved')).toBe('Disk back to 40% (threshold 85)');
  });

  it('keeps later posts in the same thread: no second start from this process, the existing thread after a restart', async () => {
    const host = `late-${Date.now().toString(36)}`;
    await t.bot.request('/v1/metrics', { body: snapshot({ host, disk_usage: 95 }) });
    const notice = await eventually(() =>
      [...t.fake.messages.values()].find((m) => String(m.embeds[0]?.title).startsWith(`Auto-heal on ${host}`)),
    );
    const incident = await eventually(async () => {
      const { body } = await t.bot.request(`/v1/hosts/${host}`);
      return (body as { incidents?: { id: string }[] }).incidents?.[0]?.id;
    });
    const starts = () =>
      t.fake.calls.filter(
        (c) => c.method === 'POST' && c.path === `/channels/${ids.channelId}/messages/${notice.id}/threads`,
      );
    const inThread = () => [...t.fake.messages.values()].filter((m) => m.channel_id === notice.id);
    const result = (n: number) =>
      publishDiskCleanupDryRun(t.redis.client(), host, incident, `${incident}.disk_cleanup.${n}`);
    await result(1);
    await eventually(() => (inThread().length === 1 ? true : undefined));
    // The notice says how the heal ended, with the value it had.
    await eventually(() =>
      fieldValue(notice, 'Result')?.startsWith('dry-run: nothing changed (Disk 95% before)') ? true : undefined,
    );
    await t.bot.request('/v1/metrics', { body: snapshot({ host, disk_usage: 40 }) });
    await eventually(() => (inThread().length === 2 ? true : undefined));
    expect(starts()).toHaveLength(1);

    await t.restart();
    await result(2);
    await eventually(() => (inThread().length === 3 ? true : undefined), 15_000, 'the third post in the thread');
    // The restarted bot tried once, was told the thread exists (160004), and posted in it.
    expect(starts()).toHaveLength(2);
    expect(t.fake.threads.size).toBeGreaterThan(0);
    expect(
      [...t.fake.messages.values()].filter(
        (m) => m.channel_id === ids.channelId && m.embeds[0]?.title?.toString().includes(host),
      ),
    ).toHaveLength(1);
  });
});
