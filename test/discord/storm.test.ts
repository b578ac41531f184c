import { describe, expect, it } from 'vitest';
import { keys } from '../../src/redis/keys.js';
import { actionJobs, eventually, notifierCaughtUp, policyFile } from '../helpers/bot.js';
import { snapshot } from '../helpers/core.js';
import { snowflake, type FakeMessage, type FakeUser } from '../helpers/fake-discord.js';
import { buttonIds, callback, fieldValue, ids, useDiscordBot } from './harness.js';

// Default limits (5 hosts healing fleet-wide); disk_cleanup may be approved by dora (and APPROVERS), memory_cleanup not.
const dora: FakeUser = { id: snowflake(), username: 'dora' };
const t = useDiscordBot(async () => ({
  POLICY_FILE: await policyFile((y) =>
    y.replace(
      '    timeout: 2m\n    cooldown: 30m\n    verify: { signal: disk_usage',
      `    approvers: [discord:${dora.id}]\n    timeout: 2m\n    cooldown: 30m\n    verify: { signal: disk_usage`,
    ),
  ),
}));

const HOSTS = Array.from({ length: 40 }, (_, i) => `dstorm-${String(i).padStart(2, '0')}`);
const title = (m: FakeMessage) => (m.embeds[0] as { title?: string } | undefined)?.title ?? '';
const topLevel = () =>
  [...t.fake.messages.values()].filter((m) => m.channel_id === ids.channelId && !m.message_reference);

describe('a 40-host storm in Discord', () => {
  it('is one group message (and one breaker notice), with Approve all deciding each held host on its own', async () => {
    await t.bot.request('/v1/metrics', { body: HOSTS.slice(0, 39).map((host) => snapshot({ host, disk_usage: 97 })) });
    const client = t.redis.client();
    await eventually(async () => ((await client.zcard(keys.approvalsPending)) === 34 ? true : undefined), 20_000);
    await t.bot.request('/v1/metrics', { body: snapshot({ host: 'dstorm-39', disk_usage: 97, memory_usage: 97 }) });

    const group = await eventually(
      () => topLevel().find((m) => title(m) === 'Disk on 40 hosts: 5 auto-healing, 35 waiting for a human'),
      20_000,
      'the group message with every host',
    );
    await notifierCaughtUp(t.redis);
    expect(topLevel().map(title).sort()).toEqual([
      'Circuit breaker tripped fleet-wide',
      'Disk on 40 hosts: 5 auto-healing, 35 waiting for a human',
    ]);
    expect(fieldValue(group, 'Mode')).toBe('dry-run (nothing is changed)');
    const [approveAll] = buttonIds(group);
    expect(approveAll).toMatch(/^healgate:all:approve:grp-[0-9a-f]{16}$/);
    expect(group.components[0]?.components[0]?.label).toBe('Approve all (35)');

    // One held host is decided on its own first; one is left out of the bulk decision.
    const pending = await t.bot.approvals.getMany(await client.zrange(keys.approvalsPending, 0, -1));
    const [alone, leftOut] = pending.filter((a) => a?.host !== 'dstorm-39');
    expect((await t.bot.approvals.approve(alone!.id, { platform: 'console', userId: 'alice' }, 'mine')).ok).toBe(true);

    // The button opens the notes form (type 9); its submit is answered privately with the tally.
    expect((await callback(t.fake, t.fake.button(group, approveAll!, dora))).type).toBe(9);
    const submit = t.fake.modalSubmit(group, approveAll!, 'bad deploy rolled back', dora, { except: leftOut!.host });
    const deferred = await callback(t.fake, submit);
    expect(deferred).toMatchObject({ type: 5, data: { flags: 64 } });
    const tally = await eventually(
      () => t.fake.webhooks.find((w) => w.token === submit.token && w.method === 'PATCH'),
      20_000,
      'the tally',
    );
    expect(tally.body?.content).toBe(
      `approved 32, 1 already decided, 1 refused, 1 left out. dstorm-39: discord:${dora.id} is not an approver for memory_cleanup.`,
    );

    const approvedBy = async () => {
      const { body } = await t.bot.request('/v1/audit?window=1h&type=approval.approved&limit=500');
      return (body as { entries: Record<string, unknown>[] }).entries.filter((e) => e.actor === `discord:${dora.id}`);
    };
    await eventually(async () => ((await approvedBy()).length >= 32 ? true : undefined));
    const approved = await approvedBy();
    expect(approved).toHaveLength(32);
    expect(new Set(approved.map((e) => e.approval_id)).size).toBe(32);
    expect(approved.every((e) => e.notes === 'bad deploy rolled back')).toBe(true);
    expect((await t.bot.approvals.get(leftOut!.id))?.status).toBe('pending');
    expect((await t.bot.approvals.get(pending.find((a) => a?.host === 'dstorm-39')!.id))?.status).toBe('pending');
    // The fleet is still full with the 5 auto-heals (no agent here): approved hosts wait, nothing runs twice.
    for (const host of HOSTS) expect((await actionJobs(t.redis, host)).length).toBeLessThanOrEqual(1);

    // The group message follows: the bulk decision redrawn in place, two requests still waiting.
    await eventually(
      () => (title(group) === 'Disk on 40 hosts: 5 auto-healing, 2 waiting for a human' ? true : undefined),
      20_000,
      'the group message redrawn',
    );
    expect(fieldValue(group, 'So far')).toBe('33 approved, to run');
    expect(group.components[0]?.components[0]?.label).toBe('Approve all (2)');
  });
});
