import { afterAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../src/agent/agent.js';
import { keys } from '../../src/redis/keys.js';
import { DialCollector, startTestAgent } from '../helpers/agent.js';
import { auditEntriesOf, eventually, notifierCaughtUp, policyFile } from '../helpers/bot.js';
import { snapshot } from '../helpers/core.js';
import { buttonsOf, useSlackBot, type SlackBot } from '../helpers/slack.js';
import { CHANNEL, blockActions, interaction, viewSubmission, type SlackUser } from '../helpers/slack-requests.js';

// Default limits (5 hosts healing fleet-wide); disk_cleanup may be approved by UDISK (and APPROVERS), memory_cleanup not.
const t: SlackBot = useSlackBot(async () => ({
  POLICY_FILE: await policyFile((y) =>
    y.replace(
      '    timeout: 2m\n    cooldown: 30m\n    verify: { signal: disk_usage',
      '    approvers: [slack:UDISK]\n    timeout: 2m\n    cooldown: 30m\n    verify: { signal: disk_usage',
    ),
  ),
}));
const disk: SlackUser = { id: 'UDISK', name: 'dora' };
const agents: Agent[] = [];
afterAll(async () => {
  await Promise.all(agents.map((a) => a.close()));
});

const HOSTS = Array.from({ length: 40 }, (_, i) => `storm-${String(i).padStart(2, '0')}`);
const topLevel = () => t.fake.of('chat.postMessage').filter((c) => c.args.thread_ts === undefined);
const groupMessages = () =>
  [...t.fake.of('chat.postMessage'), ...t.fake.of('chat.update')].filter((c) =>
    String(c.args.text).includes('Disk on '),
  );

async function auditEntries(type: string): Promise<Record<string, unknown>[]> {
  const { body } = await t.bot.request(`/v1/audit?window=1h&type=${type}&limit=500`);
  return (body as { entries: Record<string, unknown>[] }).entries;
}

describe('a 40-host storm in Slack', () => {
  it('is one group message (and one breaker notice), decided in bulk, released in waves within the fleet limit', async () => {
    // 39 hosts with a full disk, then one whose memory is full too: its request also needs memory_cleanup.
    await t.bot.request('/v1/metrics', { body: HOSTS.slice(0, 39).map((host) => snapshot({ host, disk_usage: 97 })) });
    const client = t.redis.client();
    await eventually(async () => ((await client.zcard(keys.approvalsPending)) === 34 ? true : undefined), 20_000);
    await t.bot.request('/v1/metrics', { body: snapshot({ host: 'storm-39', disk_usage: 97, memory_usage: 97 }) });

    const shown = await eventually(
      () => groupMessages().find((c) => String(c.args.text).includes('on 40 hosts: 5 auto-healing, 35 waiting')),
      20_000,
      'the group message with every host',
    );
    await notifierCaughtUp(t.redis);
    // At most 3 top-level messages: here the group message and the fleet breaker's notice, nothing per host.
    expect(topLevel().map((c) => String(c.args.text).split(':')[0])).toEqual([
      expect.stringMatching(/^\[DRY-RUN\] Disk on \d+ hosts/),
      'Circuit breaker tripped fleet-wide',
    ]);
    expect(String(shown.args.text)).toMatch(/^\[DRY-RUN\] Disk on 40 hosts: 5 auto-healing, 35 waiting for a human/);
    const ts = String(topLevel()[0]!.answer.ts);
    expect(buttonsOf(shown)).toEqual([
      expect.objectContaining({
        action_id: 'healgate_bulk_approve',
        text: expect.objectContaining({ text: 'Approve all (35)' }) as unknown,
      }),
      expect.objectContaining({ action_id: 'healgate_bulk_reject' }),
    ]);
    const groupId = buttonsOf(shown)[0]!.value!;

    // One held host is decided on its own first.
    const pending = await t.bot.approvals.getMany(await client.zrange(keys.approvalsPending, 0, -1));
    const alone = pending.find((a) => a?.host !== 'storm-39')!;
    expect((await t.bot.approvals.approve(alone.id, { platform: 'console', userId: 'alice' }, 'mine')).ok).toBe(true);

    // Approve all: the same notes modal, with hosts to leave out or pick.
    const before = t.fake.of('views.open').length;
    expect((await interaction(t.bot.url, blockActions(disk, 'healgate_bulk_approve', groupId, ts))).status).toBe(200);
    const view = t.fake.of('views.open')[before]!.args.view as { callback_id: string; private_metadata: string };
    expect(view.callback_id).toBe('healgate_bulk_decision');
    const submitted = await interaction(t.bot.url, viewSubmission(disk, view, 'bad deploy rolled back'));
    expect(submitted.status).toBe(200);
    const tally = await eventually(
      () => t.fake.of('chat.postEphemeral').find((c) => c.args.user === 'UDISK'),
      20_000,
      'the tally',
    );
    expect(String(tally.args.text)).toBe(
      'approved 33, 1 already decided, 1 refused. storm-39: slack:UDISK is not an approver for memory_cleanup.',
    );
    expect(tally.args.channel).toBe(CHANNEL);

    // Each approval is its own audit entry, with who approved it and their notes.
    await auditEntriesOf(t.bot, 'type=approval.approved&limit=500', 33);
    const approved = (await auditEntries('approval.approved')).filter((e) => e.actor === 'slack:UDISK');
    expect(approved).toHaveLength(33);
    expect(new Set(approved.map((e) => e.approval_id)).size).toBe(33);
    expect(approved.every((e) => e.notes === 'bad deploy rolled back')).toBe(true);
    const refused = await auditEntries('approval.refused');
    expect(refused).toMatchObject([{ host: 'storm-39', actor: 'slack:UDISK', outcome: 'not_approver' }]);

    // The fleet is full with the 5 auto-heals: nothing approved runs yet. Agents come up; waves go out.
    let max = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const members = await client.zrangebyscore(keys.autoHealing, Date.now(), '+inf');
        max = Math.max(max, new Set(members.map((m) => m.split('|')[0])).size);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    for (const host of HOSTS) {
      const dial = new DialCollector(host);
      dial.disk = 97;
      agents.push(await startTestAgent(t.redis, host, { EXECUTION_MODE: 'dry-run' }, { collector: dial }));
    }
    const results = await eventually(
      async () => {
        const r = await auditEntries('action.result');
        return r.length >= 5 + 34 ? r : undefined;
      },
      60_000,
      'every approved and auto-healed host to have run',
    );
    sampling = false;
    await sampler;
    expect(max).toBeLessThanOrEqual(5);
    // Each action ran once: one result per job.
    const jobs = results.map((r) => (r.data as { job_id: string }).job_id);
    expect(new Set(jobs).size).toBe(jobs.length);
    expect(jobs).toHaveLength(39);
    // The group message shows the progress, and ends with every approved host healed.
    const final = await eventually(
      () => {
        const last = groupMessages().at(-1);
        return last && JSON.stringify(last.args.blocks).includes('39 healed') ? last : undefined;
      },
      20_000,
      'the group message at the end',
    );
    expect(String(final.args.text)).toContain('Disk on 40 hosts: 0 auto-healing, 1 waiting for a human');
  });
});
