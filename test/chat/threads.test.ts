import { describe, expect, it } from 'vitest';
import type { AdapterFactory, ChatAdapter, Notification } from '../../src/chat/port.js';
import { ThreadedDelivery, type ThreadedSurface } from '../../src/chat/threads.js';
import { commandDoc } from '../../src/chat/view/reply.js';
import { EventLog } from '../../src/events/log.js';
import { publishDiskCleanupDryRun } from '../helpers/events.js';
import type { MessageDoc } from '../../src/chat/view/doc.js';
import { snapshot } from '../helpers/core.js';
import { webhook } from '../helpers/alertmanager.js';
import { eventually, policyFile, useBot } from '../helpers/bot.js';

/** A chat platform reduced to a list of messages: what a person would see in the channel. */
class Channel implements ThreadedSurface<number> {
  readonly messages: { id: number; thread: number | undefined; doc: MessageDoc; edits: MessageDoc[] }[] = [];
  post(doc: MessageDoc, thread?: number): Promise<number> {
    const id = this.messages.length + 1;
    this.messages.push({ id, thread, doc, edits: [] });
    return Promise.resolve(id);
  }
  update(ref: number, doc: MessageDoc): Promise<void> {
    this.messages[ref - 1]!.edits.push(doc);
    return Promise.resolve();
  }
  find(title: RegExp) {
    return this.messages.find((m) => title.test(m.doc.title));
  }
}

const channel = new Channel();
const factory: AdapterFactory = {
  name: 'channel',
  create({ services }): ChatAdapter {
    const delivery = new ThreadedDelivery('channel', channel, services);
    return { name: 'channel', deliver: (n: Notification) => delivery.deliver(n) };
  },
};

// Each test's host is news of its own, not a storm with the host of the test before.
const ctx = useBot(
  async () => ({ POLICY_FILE: await policyFile((y) => y.replace('group_interval: 5m', 'group_interval: 1ms')) }),
  {
    adapterFactories: [factory],
  },
);

describe('threaded chat delivery', () => {
  it('posts an auto-heal notice with the trend, then edits it and replies in its thread when it resolves', async () => {
    for (const disk of [60, 70, 80])
      await ctx.bot.request('/v1/metrics', { body: snapshot({ host: 'web-1', disk_usage: disk }) });
    await ctx.bot.request('/v1/metrics', { body: snapshot({ host: 'web-1', disk_usage: 93.5 }) });
    const notice = await eventually(() => channel.find(/^Auto-heal on web-1/), 15_000, 'the auto-heal notice');
    expect(notice.doc.title).toBe('Auto-heal on web-1: disk_cleanup');
    expect(notice.doc.fields).toContainEqual({ label: 'Mode', value: 'dry-run (nothing is changed)' });
    const disk = notice.doc.fields.find((f) => f.label === 'Disk');
    expect(disk?.value).toMatch(/^93\.5% \(> 85\) {2}[▁▂▃▄▅▆▇█]{4}$/);
    expect(notice.doc.decide).toBeUndefined();

    await ctx.bot.request('/v1/metrics', { body: snapshot({ host: 'web-1', disk_usage: 41 }) });
    const reply = await eventually(
      () => channel.messages.find((m) => m.thread === notice.id),
      15_000,
      'the resolution',
    );
    expect(reply.doc.lines).toEqual(['Disk back to 41% (threshold 85)']);
    expect(notice.edits.at(-1)?.title).toBe('Resolved: Auto-heal on web-1: disk_cleanup');
    expect(notice.edits.at(-1)?.tone).toBe('ok');
  });

  it('shows an approval request with buttons, and replaces them by who decided and why', async () => {
    await ctx.bot.request('/v1/metrics', { body: snapshot({ host: 'gw-2' }) });
    await eventually(async () => ((await ctx.bot.request('/v1/hosts/gw-2')).status === 200 ? true : undefined));
    await ctx.bot.request('/v1/requests/firewall', {
      body: { host: 'gw-2', action: 'open', port: 8443, protocol: 'tcp', reason: 'new API', requested_by: 'slack:U9' },
    });
    const request = await eventually(() => channel.find(/^Approval needed/), 15_000, 'the approval request');
    expect(request.doc.title).toBe('Approval needed — firewall_port_change on gw-2');
    expect(request.doc.lines[0]).toBe('Proposed: firewall_port_change (rule=allow, port=8443, protocol=tcp)');
    expect(request.doc.fields).toContainEqual({
      label: 'Requested by',
      value: [{ who: { platform: 'slack', userId: 'U9' } }],
    });
    expect(request.doc.fields).toContainEqual({ label: 'Reason', value: 'new API' });
    const id = request.doc.decide && 'approvalId' in request.doc.decide ? request.doc.decide.approvalId : undefined;
    expect(id).toMatch(/^apr-[0-9a-f]{16}$/);
    // The platform's message id is recorded once its post has returned.
    const messages = await eventually(async () => {
      const recorded = (await ctx.bot.approvals.get(id!))?.messages;
      return recorded && Object.keys(recorded).length > 0 ? recorded : undefined;
    });
    expect(messages).toEqual({ channel: request.id });

    const result = await ctx.bot.approvals.approve(
      id!,
      { platform: 'console', userId: 'alice', displayName: 'Alice' },
      'change CHG-7',
    );
    expect(result.ok).toBe(true);
    const edit = await eventually(() => request.edits.at(-1), 15_000, 'the edit');
    expect(edit.decide).toBeUndefined();
    const decidedAt = (await ctx.bot.approvals.get(id!))?.decided_at;
    expect(edit.fields).toContainEqual({
      label: 'Decision',
      value: [
        'Approved',
        ' by ',
        { who: { platform: 'console', userId: 'alice', displayName: 'Alice' } },
        ' at ',
        { at: decidedAt },
        ': change CHG-7',
      ],
    });
  });
});

describe('what the messages say', () => {
  it('a dry-run result shows the value before, and the notice is rewritten to it; /audit counts it as dry-run', async () => {
    await ctx.bot.request('/v1/metrics', { body: snapshot({ host: 'dry-1', disk_usage: 96 }) });
    const notice = await eventually(() => channel.find(/^Auto-heal on dry-1/), 15_000, 'the auto-heal notice');
    expect(notice.doc.text).toBe('Auto-heal on dry-1: disk_cleanup (Disk 96%; dry-run)');
    expect(notice.doc.fields).toContainEqual({ label: 'Result', value: "running: queued for the host's agent" });
    const incident = await eventually(async () => {
      const { body } = await ctx.bot.request('/v1/hosts/dry-1');
      return (body as { incidents?: { id: string }[] }).incidents?.[0]?.id;
    });
    await publishDiskCleanupDryRun(ctx.redis.client(), 'dry-1', incident, `${incident}.disk_cleanup`);
    const reply = await eventually(
      () => channel.messages.find((m) => m.thread === notice.id && m.doc.title.includes('dry-run')),
      15_000,
      'the result',
    );
    expect(reply.doc.fields).toContainEqual({ label: 'Disk', value: '96% before (unchanged)' });
    expect(reply.doc.text).toBe('disk_cleanup on dry-1: dry-run (dry-run)');
    const edited = await eventually(() => notice.edits.at(-1), 15_000, 'the notice rewritten');
    expect(edited.fields).toContainEqual({ label: 'Result', value: 'dry-run: nothing changed (Disk 96% before)' });

    // The result's audit entry (from its event): counted as a dry-run heal, fleet-wide and on the host's line.
    const doc = await eventually(async () => {
      const audit = await ctx.bot.chat.command('audit', '1h dry-1');
      if (audit.kind !== 'audit') throw new Error(`not an audit: ${audit.kind}`);
      const d = commandDoc(audit, ctx.bot.chat.policy);
      return d.fields.some((f) => f.label === 'Auto-heal' && f.value.includes('1 dry-run')) ? d : undefined;
    }, 10_000);
    expect(doc.fields.find((f) => f.label === 'Auto-heal')?.value).toBe('0 ok · 0 failed · 0 unknown · 1 dry-run');
    expect(doc.lines).toContainEqual(expect.stringMatching(/^dry-1: \d+ entries, 0 approvals, 1 heal \(1 dry-run\)$/));
  });

  it('a fleet-wide breaker names no single host; a firewall request draws no 0/1 trend', async () => {
    await new EventLog(ctx.redis.client()).publish({
      type: 'breaker.tripped',
      host: 'web-9',
      scope: 'fleet',
      reason: '6 hosts auto-healing at once (limit 5)',
      policy: 'test',
    });
    const breaker = await eventually(() => channel.find(/^Circuit breaker tripped fleet-wide$/), 15_000, 'the breaker');
    expect(breaker.doc.fields).toEqual([{ label: 'Scope', value: 'every host' }]);
    expect(JSON.stringify(breaker.doc)).not.toContain('web-9');

    const request = channel.find(/^Approval needed — firewall_port_change on gw-2/);
    expect(request?.doc.fields).toContainEqual({ label: 'Firewall request', value: '1' });
  });
});

describe('chat commands', () => {
  it('/diagnose answers from the last snapshot and says how old it is', async () => {
    const reply = await ctx.bot.chat.command('diagnose', ' web-1 ');
    expect(reply.kind).toBe('diagnose');
    if (reply.kind !== 'diagnose') return;
    expect(reply.diagnosis.host).toBe('web-1');
    expect(reply.diagnosis.snapshot.disk_usage).toBe(41);
    expect(reply.diagnosis.history.map((p) => p[1])).toEqual([60, 70, 80, 93.5, 41]);
    expect(reply.diagnosis.fresh).toBe(false);
    expect(reply.diagnosis.note).toMatch(/^No agent runs on web-1: this is its last snapshot, \d+s old\.$/);
    expect(reply.diagnosis.decision.decision).toBe('NO_ACTION');
    const doc = commandDoc(reply, ctx.bot.chat.policy);
    // Which reading the decision is on, and the incidents kept apart from it.
    expect(doc.fields.find((f) => f.label === 'Decision')?.value).toMatch(
      /^NO_ACTION \(\w+\), on the last snapshot \(\d+s ago\)$/,
    );
    expect(doc.fields.find((f) => f.label === 'Last snapshot')?.value).toEqual([
      { at: reply.diagnosis.measured_at, relative: true },
    ]);

    const open = await ctx.bot.chat.command('diagnose', 'dry-1');
    if (open.kind !== 'diagnose') throw new Error(`not a diagnosis: ${open.kind}`);
    const incidents = commandDoc(open, ctx.bot.chat.policy).fields.find((f) => f.label === 'Open incidents')?.value;
    expect(incidents).toEqual([
      'opened by earlier snapshots: ',
      'Disk 96% (> 85) at ',
      { at: open.diagnosis.incidents[0]!.opened_at },
    ]);
  });

  it('answers what cannot be run with its usage', async () => {
    expect(await ctx.bot.chat.command('diagnose', '')).toEqual({
      kind: 'usage',
      message: 'Which host? Usage: /diagnose <host> — e.g. /diagnose host-1',
    });
    expect(await ctx.bot.chat.command('diagnose', 'never-seen')).toMatchObject({
      kind: 'usage',
      message: expect.stringMatching(
        /^No snapshot of never-seen has ever arrived: is the name right\? Usage: \/diagnose/,
      ) as unknown,
    });
    // Not an all-zero summary "for never-seen": the host is unknown.
    expect(await ctx.bot.chat.command('audit', '7d never-seen')).toMatchObject({
      kind: 'usage',
      message: expect.stringMatching(/^No snapshot of never-seen has ever arrived: .* Usage: \/audit/) as unknown,
    });
    expect(await ctx.bot.chat.command('diagnose', '<b>')).toMatchObject({
      message: expect.stringMatching(/is not a host name/) as unknown,
    });
    expect(await ctx.bot.chat.command('audit', '400d')).toMatchObject({
      message: expect.stringMatching(/between 1s and 399d/) as unknown,
    });
    expect(await ctx.bot.chat.command('audit', 'soon later never')).toMatchObject({ kind: 'usage' });
  });

  it('/audit summarises the window, per host, and /audit verify checks the chain', async () => {
    const fleet = await ctx.bot.chat.command('audit', '');
    expect(fleet).toMatchObject({ kind: 'audit', window: '24h' });
    if (fleet.kind !== 'audit') return;
    expect(fleet.summary.approvals.approved).toBe(1);
    const host = await ctx.bot.chat.command('audit', '7d gw-2');
    expect(host).toMatchObject({ kind: 'audit', window: '7d', summary: { host: 'gw-2' } });
    const verify = await ctx.bot.chat.command('audit', 'verify');
    expect(verify).toMatchObject({ kind: 'verify', result: { ok: true } });
  });

  it("an alert's notice says the alert holds the value, and what the host's own reading is", async () => {
    await ctx.bot.request('/v1/metrics', { body: snapshot({ host: 'am-1', disk_usage: 20 }) });
    await eventually(async () => ((await ctx.bot.request('/v1/hosts/am-1')).status === 200 ? true : undefined));
    expect(
      (
        await ctx.bot.request('/v1/alertmanager', {
          body: webhook('firing', [
            { name: 'HostOutOfDiskSpace', instance: 'am-1:9100', free: '3', fingerprint: 'am1' },
          ]),
        })
      ).status,
    ).toBe(200);
    const notice = await eventually(() => channel.find(/^Auto-heal on am-1/), 15_000, 'the auto-heal notice');
    expect(notice.doc.lines[0]).toBe(
      'Disk 97% from alert HostOutOfDiskSpace (firing since 2026-11-25T10:00:00.000Z); the push reads 20%',
    );
  });
});
