import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GroupBook } from '../../src/groups/book.js';
import { Notifier } from '../../src/chat/notifier.js';
import type { ChatAdapter, Notification } from '../../src/chat/port.js';
import { createLogger } from '../../src/log.js';
import { snapshot } from '../helpers/core.js';
import { eventually, policyFile, startTestBot, type TestBot } from '../helpers/bot.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

/** A chat platform that remembers what it was asked to show. */
class RecordingAdapter implements ChatAdapter {
  readonly name = 'recording';
  readonly received: Notification[] = [];
  deliver(n: Notification): Promise<void> {
    this.received.push(n);
    return Promise.resolve();
  }
}

let redis: TestRedis;
const bots: TestBot[] = [];
const chats = [new RecordingAdapter(), new RecordingAdapter()];

beforeAll(async () => {
  redis = await startRedis();
  // No fleet breaker in the way: this is about how notices are grouped.
  const policy = await policyFile((y) => y.replace('max_hosts_auto_healing: 5', 'max_hosts_auto_healing: 1000'));
  for (const chat of chats)
    bots.push(
      await startTestBot(
        redis,
        { POLICY_FILE: policy },
        { adapterFactories: [{ name: 'recording', create: () => chat }] },
      ),
    );
});

afterAll(async () => {
  await Promise.all(bots.map((b) => b.close()));
  await redis?.stop();
});

const all = () => chats.flatMap((c) => c.received);

describe('notifications', () => {
  it('fold a burst of incidents of one kind into one group, delivered by one replica only', async () => {
    const hosts = Array.from({ length: 12 }, (_, i) => `burst-${i}`);
    await bots[0]!.request('/v1/metrics', { body: hosts.map((host) => snapshot({ host, disk_usage: 96 })) });
    const groups = () => all().flatMap((n) => (n.kind === 'group' ? [n.group] : []));
    const whole = await eventually(() => groups().find((g) => g.members.length === 12), 15_000, 'a group of 12');
    expect(new Set(whole.members.map((m) => m.host))).toEqual(new Set(hosts));
    expect(whole.members.every((m) => m.state === 'healing')).toBe(true);
    expect(whole.kind).toBe('disk_usage/disk_cleanup');
    // Nothing per host: no notice, no digest; and one replica only.
    const perHost = all().filter(
      (n) =>
        (n.kind === 'event' && n.event.type === 'incident.opened') ||
        (n.kind === 'digest' && n.type === 'incident.opened'),
    );
    expect(perHost).toEqual([]);
    expect(new Set(groups().map((g) => g.id)).size).toBe(1);
    expect(chats.filter((c) => c.received.length > 0)).toHaveLength(1);
  });

  it('post each approval request on its own, with what a human needs to decide', async () => {
    await bots[1]!.request('/v1/metrics', { body: snapshot({ host: 'gw-1' }) });
    await eventually(async () => ((await bots[1]!.request('/v1/hosts/gw-1')).status === 200 ? true : undefined));
    await bots[1]!.request('/v1/requests/firewall', {
      body: {
        host: 'gw-1',
        action: 'close',
        port: 23,
        protocol: 'tcp',
        reason: 'telnet must go',
        requested_by: 'slack:U42',
      },
    });
    const n = await eventually(
      () => all().find((x) => x.kind === 'event' && x.event.type === 'approval.requested'),
      15_000,
    );
    expect(n).toMatchObject({
      kind: 'event',
      event: {
        approval: {
          host: 'gw-1',
          status: 'pending',
          actions: [{ id: 'firewall_port_change', params: { rule: 'deny', port: 23 } }],
          requester: { userId: 'U42' },
        },
      },
    });
    const approval = n.kind === 'event' && n.event.type === 'approval.requested' ? n.event.approval : undefined;
    await bots[0]!.approvals.approve(approval!.id, { platform: 'console', userId: 'alice' }, 'ok');
    const decided = await eventually(
      () => all().find((x) => x.kind === 'event' && x.event.type === 'approval.decided'),
      15_000,
    );
    expect(decided).toMatchObject({ event: { approval: { id: approval!.id, status: 'approved', notes: 'ok' } } });
    expect(all().filter((x) => x.kind === 'event' && x.event.type === 'approval.requested')).toHaveLength(1);
  });
});

describe('notifier consumers', () => {
  it('removes consumers of long-gone processes that left nothing pending', async () => {
    const client = redis.client();
    await client.xgroup('CREATECONSUMER', 'healgate:events', 'notifier', 'gone-host-1-abc');
    const names = async () =>
      ((await client.xinfo('CONSUMERS', 'healgate:events', 'notifier')) as string[][]).map((c) => c[1]);
    expect(await names()).toContain('gone-host-1-abc');
    const fresh = new Notifier(
      client,
      new GroupBook(client, { by: ['signal', 'action'], intervalMs: 300_000 }),
      { consumer: 'fresh-1', windowMs: 10, digestFrom: 5, claimIdleMs: 60_000, pruneIdleMs: 0 },
      createLogger('silent'),
    );
    await fresh.start();
    await fresh.close();
    expect(await names()).not.toContain('gone-host-1-abc');
  });
});
