import { describe, expect, it } from 'vitest';
import { EventLog } from '../../src/events/log.js';
import { eventually, policyFile } from '../helpers/bot.js';
import { snapshot } from '../helpers/core.js';
import { blocksOf, useSlackBot, type SlackBot } from '../helpers/slack.js';
import { CHANNEL } from '../helpers/slack-requests.js';

// No fleet breaker in the way: the storm below is about grouping.
const t: SlackBot = useSlackBot(async () => ({
  POLICY_FILE: await policyFile((y) => y.replace('max_hosts_auto_healing: 5', 'max_hosts_auto_healing: 1000')),
}));

const posted = (t: SlackBot, includes: string) =>
  eventually(
    () => t.fake.of('chat.postMessage').find((c) => String(c.args.text).includes(includes)),
    10_000,
    `a message with "${includes}"`,
  );

describe('Slack notices', () => {
  it('announces an auto-heal with its trend, replies the result in its thread, and marks it resolved', async () => {
    const host = 'disk-full-1';
    for (const disk of [60, 70, 80]) await t.bot.request('/v1/metrics', { body: snapshot({ host, disk_usage: disk }) });
    await eventually(async () => {
      const { body } = await t.bot.request(`/v1/hosts/${host}`);
      return (body as { history?: unknown[] }).history?.length === 3 ? true : undefined;
    });
    await t.bot.request('/v1/metrics', { body: snapshot({ host, disk_usage: 95 }) });

    const notice = await posted(t, `Auto-heal on ${host}: disk_cleanup`);
    expect(notice.args.channel).toBe(CHANNEL);
    expect(notice.args.thread_ts).toBeUndefined();
    const facts = JSON.stringify(blocksOf(notice));
    expect(facts).toMatch(/\*Disk\*\\n95% \(&gt; 85\) {2}[▁▂▃▄▅▆▇█]{4}/);
    expect(facts).toContain('*Mode*\\ndry-run (nothing is changed)');
    expect(facts).toContain('*Model*\\nAUTO_HEAL (p=');
    expect(facts).toContain('disk_usage 95 &gt; 85');
    const ts = String(notice.answer.ts);

    // What the agent reports once it ran the action (the agent itself is another component).
    const incident = await eventually(async () => {
      const { body } = await t.bot.request(`/v1/hosts/${host}`);
      return (body as { incidents?: { id: string }[] }).incidents?.[0]?.id;
    });
    await new EventLog(t.redis.client()).publish({
      type: 'action.result',
      host,
      job_id: `${incident}.disk_cleanup`,
      trigger: 'auto_heal',
      approval_id: null,
      incident_ids: [incident],
      outcome: 'success',
      dry_run: false,
      actions: [
        {
          id: 'disk_cleanup',
          outcome: 'success',
          steps: [
            {
              argv: ['journalctl', '--vacuum-size=500M'],
              exit_code: 0,
              timed_out: false,
              duration_ms: 120,
              output: '',
            },
          ],
        },
      ],
      verify: { signal: 'disk_usage', before: 95, after: 62, threshold: 85, recovered: true },
      detail: 'disk_usage 95 → 62: recovered',
      duration_ms: 120,
    });
    const result = await posted(t, `disk_cleanup on ${host}: succeeded`);
    expect(result.args).toMatchObject({ channel: CHANNEL, thread_ts: ts });
    expect(String(result.args.text)).toContain('Disk 95% → 62%');
    expect(JSON.stringify(blocksOf(result))).toContain('ran: journalctl --vacuum-size=500M (exit 0)');
    // The notice itself now says how the heal ended, instead of "running".
    expect(facts).toContain("*Result*\\nrunning: queued for the host's agent");
    const outcome = await eventually(() => t.fake.of('chat.update').find((u) => u.args.ts === ts), 10_000, 'the edit');
    expect(JSON.stringify(blocksOf(outcome))).toContain('*Result*\\nsucceeded: Disk 95% → 62% (recovered)');
    expect(JSON.stringify(blocksOf(outcome))).not.toContain('running: queued');

    await t.bot.request('/v1/metrics', { body: snapshot({ host, disk_usage: 62 }) });
    const resolved = await posted(t, `Resolved on ${host}`);
    expect(resolved.args.thread_ts).toBe(ts);
    const edited = await eventually(
      () => t.fake.of('chat.update').find((u) => u.args.ts === ts && String(u.args.text).startsWith('Resolved')),
      10_000,
      'the edit',
    );
    expect(String(edited.args.text)).toMatch(/^Resolved: Auto-heal on disk-full-1: disk_cleanup \(Disk 95%; dry-run\)/);
    expect(JSON.stringify(blocksOf(edited))).toContain('*Result*\\nsucceeded: Disk 95% → 62% (recovered)');
    expect(JSON.stringify(blocksOf(edited))).toContain('*Resolved*\\nDisk back to 62% (threshold 85)');
  });

  it('folds a storm of incidents into one group message instead of a message per host', async () => {
    const hosts = Array.from({ length: 8 }, (_, i) => `storm-${i}`);
    const before = t.fake.of('chat.postMessage').length;
    await t.bot.request('/v1/metrics', { body: hosts.map((host) => snapshot({ host, memory_usage: 97 })) });
    const group = await posted(t, 'Memory on 8 hosts');
    expect(String(group.args.text)).toBe('[DRY-RUN] Memory on 8 hosts: 8 auto-healing, 0 waiting for a human');
    expect(group.args.thread_ts).toBeUndefined();
    const text = JSON.stringify(blocksOf(group));
    expect(text).toContain(`*Auto-healing now*\\n8: ${hosts.join(', ')}`);
    const perHost = t.fake
      .of('chat.postMessage')
      .slice(before)
      .filter((c) => c !== group && c.args.thread_ts === undefined);
    expect(perHost).toEqual([]);
  });
});
