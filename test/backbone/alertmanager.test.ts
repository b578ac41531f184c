import { describe, expect, it } from 'vitest';
import { eventually, policyFile, useBot } from '../helpers/bot.js';
import { snapshot } from '../helpers/core.js';
import { webhook } from '../helpers/alertmanager.js';

// The default policy, with an IPv6 address named as the host its agent reports as.
const t = useBot(async () => ({
  POLICY_FILE: await policyFile((yaml) => yaml.replace('  hosts: {}', '  hosts: { "::1": v6-1 }')),
}));

type Incident = { signal: string; status: string; value: string };

interface HostView {
  snapshot: { disk_usage: number; memory_usage: number };
  sources: Record<'disk_usage', { value: number; source: { kind: string }; reading: { source: string } | null }> | null;
}

async function hostView(host: string): Promise<HostView> {
  return (await t.bot.request(`/v1/hosts/${host}`)).body as HostView;
}

async function incidents(host: string): Promise<Incident[]> {
  const r = await t.bot.request(`/v1/hosts/${host}`);
  return r.status === 200 ? (r.body as { incidents: Incident[] }).incidents : [];
}

describe('POST /v1/alertmanager', () => {
  it('maps a firing alert to its host and signal, once, however often Alertmanager resends it', async () => {
    const firing = webhook('firing', [
      { name: 'HostOutOfDiskSpace', instance: 'db-1:9100', free: '2.5', fingerprint: 'a1b2c3' },
    ]);
    expect(await t.bot.request('/v1/alertmanager', { body: firing })).toEqual({
      status: 200,
      body: { accepted: 1, duplicates: 0, ignored: [] },
    });
    // The group_interval resend and the HA twin are the same notification.
    const resends = await Promise.all([
      t.bot.request('/v1/alertmanager', { body: firing }),
      t.bot.request('/v1/alertmanager', { body: firing }),
    ]);
    expect(resends.map((r) => r.body)).toEqual([
      { accepted: 0, duplicates: 1, ignored: [] },
      { accepted: 0, duplicates: 1, ignored: [] },
    ]);
    expect(
      await eventually(async () => ((await incidents('db-1')).length > 0 ? incidents('db-1') : undefined)),
    ).toMatchObject([{ signal: 'disk_usage', status: 'open' }]);
    const host = (await t.bot.request('/v1/hosts/db-1')).body as {
      snapshot: { disk_usage: number };
      history: unknown[];
    };
    expect(host.snapshot.disk_usage).toBe(97.5);
    expect(host.history).toHaveLength(1);
  });

  it('resolves the incident when the alert resolves', async () => {
    const resolved = webhook('resolved', [
      { name: 'HostOutOfDiskSpace', instance: 'db-1:9100', fingerprint: 'a1b2c3' },
    ]);
    expect((await t.bot.request('/v1/alertmanager', { body: resolved })).body).toMatchObject({ accepted: 1 });
    await eventually(async () => ((await incidents('db-1')).length === 0 ? true : undefined));
    const { body } = await t.bot.request('/v1/audit?window=1h&host=db-1&type=incident.resolved');
    expect((body as { entries: unknown[] }).entries).toHaveLength(1);
  });

  it('ignores alerts the policy does not map, and says why', async () => {
    const r = await t.bot.request('/v1/alertmanager', {
      body: webhook('firing', [
        { name: 'WatchdogAlert', instance: 'db-2:9100', fingerprint: 'ff01' },
        { name: 'HostOutOfDiskSpace', instance: 'bad host!', fingerprint: 'ff02' },
      ]),
    });
    expect(r).toEqual({
      status: 200,
      body: {
        accepted: 0,
        duplicates: 0,
        ignored: [
          "alert WatchdogAlert is not in the policy's alertmanager table",
          'label instance="bad host!" is not a host name (name its address under alertmanager.hosts)',
        ],
      },
    });
  });

  it("reads bracketed IPv6 instances, through the policy's hosts table", async () => {
    const r = await t.bot.request('/v1/alertmanager', {
      body: webhook('firing', [{ name: 'HostOutOfDiskSpace', instance: '[::1]:9100', free: '3', fingerprint: 'v6a' }]),
    });
    expect(r.body).toEqual({ accepted: 1, duplicates: 0, ignored: [] });
    expect(
      await eventually(async () => ((await incidents('v6-1')).length > 0 ? incidents('v6-1') : undefined)),
    ).toMatchObject([{ signal: 'disk_usage', status: 'open', value: '97' }]);
  });

  it('refuses an alert too large to audit with a clear 400, and takes its fixed resend', async () => {
    const fixed = webhook('firing', [
      { name: 'HostOutOfDiskSpace', instance: 'big-1:9100', free: '4', fingerprint: 'b16' },
    ]);
    // Past what the audit holds (64 KiB an entry): before, it was marked seen, failed, and its resends were duplicates.
    const large = structuredClone(fixed);
    large.alerts[0]!.labels.severity = 'x'.repeat(70_000);
    const refused = await t.bot.request('/v1/alertmanager', { body: large });
    expect(refused).toEqual({
      status: 400,
      body: {
        error: 'invalid notification; nothing was taken: alerts[0].labels.severity: must be at most 512 characters',
      },
    });
    expect(await t.bot.request('/v1/alertmanager', { body: fixed })).toEqual({
      status: 200,
      body: { accepted: 1, duplicates: 0, ignored: [] },
    });
    expect(
      await eventually(async () => ((await incidents('big-1')).length > 0 ? incidents('big-1') : undefined)),
    ).toMatchObject([{ signal: 'disk_usage', status: 'open' }]);
  });

  it("keeps an alert's incident open through a healthy pushed snapshot, shown beside it, and resolves at the reading", async () => {
    const disk = { name: 'HostOutOfDiskSpace', instance: 'push-1:9100', free: '3', fingerprint: 'p1' };
    await t.bot.request('/v1/alertmanager', { body: webhook('firing', [disk]) });
    const [open] = await eventually(async () =>
      (await incidents('push-1')).length > 0 ? incidents('push-1') : undefined,
    );
    expect(await t.bot.request('/v1/metrics', { body: snapshot({ host: 'push-1', disk_usage: 20 }) })).toMatchObject({
      status: 202,
    });
    const host = await eventually(async () => {
      const view = await hostView('push-1');
      return view.sources?.disk_usage.reading?.source === 'push' ? view : undefined;
    });
    expect(host.snapshot.disk_usage).toBe(97);
    expect(host.sources?.disk_usage).toMatchObject({ source: { kind: 'alert', alertname: 'HostOutOfDiskSpace' } });
    expect(await incidents('push-1')).toEqual([open]);

    await t.bot.request('/v1/alertmanager', { body: webhook('resolved', [disk]) });
    await eventually(async () => ((await incidents('push-1')).length === 0 ? true : undefined));
    // The host's state is written at the end of its batch, just after the incident resolved.
    const after = await eventually(async () => {
      const view = await hostView('push-1');
      return view.sources?.disk_usage.source.kind === 'push' ? view.sources.disk_usage : undefined;
    });
    expect(after).toEqual({ value: 20, source: { kind: 'push', at: expect.any(String) as string }, reading: null });
  });

  it("a firewall request while an alert holds a signal does not turn the alert's value into a reading", async () => {
    await t.bot.request('/v1/metrics', { body: snapshot({ host: 'fw-1', disk_usage: 30 }) });
    await eventually(async () => ((await t.bot.request('/v1/hosts/fw-1')).status === 200 ? true : undefined));
    const disk = { name: 'HostOutOfDiskSpace', instance: 'fw-1', free: '3', fingerprint: 'fw1' };
    await t.bot.request('/v1/alertmanager', { body: webhook('firing', [disk]) });
    await eventually(async () => ((await incidents('fw-1')).length > 0 ? true : undefined));
    const request = {
      host: 'fw-1',
      action: 'open',
      port: 8443,
      protocol: 'tcp',
      reason: 'probe',
      requested_by: 'alice',
    };
    expect(await t.bot.request('/v1/requests/firewall', { body: request })).toMatchObject({ status: 202 });
    await eventually(async () => {
      const { body } = await t.bot.request('/v1/audit?window=1h&host=fw-1&type=approval.requested');
      return (body as { entries: unknown[] }).entries.length > 0 ? true : undefined;
    });
    await t.bot.request('/v1/alertmanager', { body: webhook('resolved', [disk]) });
    await eventually(async () => ((await incidents('fw-1')).length === 0 ? true : undefined));
    const { body } = await t.bot.request('/v1/audit?window=1h&host=fw-1&type=incident.resolved');
    // Resolved at what the host last reported, not at the alert's 97.
    expect((body as { entries: { data: unknown }[] }).entries.map((e) => e.data)).toEqual([
      { signal: 'disk_usage', value: 30 },
    ]);
  });

  it('takes the last snapshot of a host written before readings were kept as its reading', async () => {
    await t.bot.request('/v1/metrics', { body: snapshot({ host: 'old-1', memory_usage: 95 }) });
    await eventually(async () => ((await incidents('old-1')).length > 0 ? true : undefined));
    // As the previous version left the host: its snapshot, no readings apart.
    await eventually(async () =>
      (await t.redis.client().hdel('healgate:host:old-1', 'signals')) === 1 ? true : undefined,
    );
    const disk = { name: 'HostOutOfDiskSpace', instance: 'old-1', free: '3', fingerprint: 'old1' };
    await t.bot.request('/v1/alertmanager', { body: webhook('firing', [disk]) });
    const open = await eventually(async () => {
      const list = await incidents('old-1');
      return list.length === 2 ? list : undefined;
    });
    expect(open.map((i) => i.signal).sort()).toEqual(['disk_usage', 'memory_usage']);
    const decided = await eventually(async () => {
      const view = await hostView('old-1');
      return view.snapshot.disk_usage === 97 ? view : undefined;
    });
    expect(decided.snapshot.memory_usage).toBe(95);
  });

  it('rejects a payload that is not webhook v4', async () => {
    const r = await t.bot.request('/v1/alertmanager', { body: { version: '3', alerts: [] } });
    expect(r.status).toBe(400);
    expect((r.body as { error: string }).error).toContain('version');
  });
});
