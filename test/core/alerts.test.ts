import { describe, expect, it } from 'vitest';
import { annotatedValue, claimOf, instanceAddress, mapAlert, type AlertInput } from '../../src/core/signals/alerts.js';
import { policyDocumentSchema } from '../../src/core/policy/schema.js';
import { shipped } from '../helpers/core.js';

function alert(
  labels: Record<string, string>,
  annotations: Record<string, string> = {},
  status: AlertInput['status'] = 'firing',
): AlertInput {
  return {
    status,
    labels,
    annotations,
    startsAt: '2026-11-25T10:00:00Z',
    endsAt: '0001-01-01T00:00:00Z',
    fingerprint: 'f1',
  };
}

describe('instance labels', () => {
  it.each([
    ['host:9100', 'host'],
    ['db-1', 'db-1'],
    ['10.0.0.5:9100', '10.0.0.5'],
    ['[::1]:9100', '::1'],
    ['[2001:db8::5]', '2001:db8::5'],
    ['::1', '::1'],
    ['2001:db8::5', '2001:db8::5'],
  ])('%s is the address %s', (label, address) => {
    expect(instanceAddress(label)).toBe(address);
  });

  it('an IPv6 instance maps onto the host its agent reports as, through alertmanager.hosts', async () => {
    const { policy } = await shipped();
    const table = { ...policy.alertmanager, hosts: { '::1': 'db-1', '2001:db8::5': 'web-5' } };
    const disk = (instance: string) => mapAlert(alert({ alertname: 'HostOutOfDiskSpace', instance }), table);
    expect(disk('[::1]:9100')).toMatchObject({ ok: true, mapped: { host: 'db-1' } });
    expect(disk('::1')).toMatchObject({ ok: true, mapped: { host: 'db-1' } });
    expect(disk('[2001:db8::5]:9100')).toMatchObject({ ok: true, mapped: { host: 'web-5' } });
    expect(disk('[2001:db8::6]:9100')).toEqual({
      ok: false,
      alertname: 'HostOutOfDiskSpace',
      reason: 'no_host',
      message: 'label instance="[2001:db8::6]:9100" is not a host name (name its address under alertmanager.hosts)',
    });
  });
});

describe('alert values', () => {
  it('reads a bare number or the VALUE = line of the stock node_exporter descriptions', () => {
    expect(annotatedValue('7.5')).toBe(7.5);
    expect(annotatedValue(' 97 ')).toBe(97);
    expect(annotatedValue('Disk is almost full (< 10% left)\n  VALUE = 7.5\n  LABELS = map[instance:db-1:9100]')).toBe(
      7.5,
    );
    expect(annotatedValue('VALUE = 1.25e+01')).toBe(12.5);
    expect(annotatedValue('no number here')).toBeUndefined();
    expect(annotatedValue(undefined)).toBeUndefined();
  });

  it('value_is: free turns 7.5 % free into 92.5 % used; used is taken as it is', async () => {
    const { policy } = await shipped();
    const table = {
      ...policy.alertmanager,
      alerts: {
        HostOutOfDiskSpace: {
          signal: 'disk_usage' as const,
          value: 95,
          value_annotation: 'description',
          value_is: 'free' as const,
        },
        HostHighCpuLoad: {
          signal: 'cpu_usage' as const,
          value: 95,
          value_annotation: 'value',
          value_is: 'used' as const,
        },
      },
    };
    const disk = mapAlert(
      alert({ alertname: 'HostOutOfDiskSpace', instance: 'db-1:9100' }, { description: 'VALUE = 7.5' }),
      table,
    );
    expect(disk).toMatchObject({ ok: true, mapped: { host: 'db-1', signal: 'disk_usage', value: 92.5 } });
    const cpu = mapAlert(alert({ alertname: 'HostHighCpuLoad', instance: 'db-1:9100' }, { value: '88' }), table);
    expect(cpu).toMatchObject({ ok: true, mapped: { signal: 'cpu_usage', value: 88 } });
    // No annotation: the rule's value, which is in used terms.
    const bare = mapAlert(alert({ alertname: 'HostOutOfDiskSpace', instance: 'db-1' }), table);
    expect(bare).toMatchObject({ ok: true, mapped: { value: 95 } });
    const resolved = mapAlert(alert({ alertname: 'HostOutOfDiskSpace', instance: 'db-1' }, {}, 'resolved'), table);
    expect(resolved).toMatchObject({ ok: true, mapped: { value: 0 } });
  });

  it('the policy refuses value_is: free on a signal that is no percent', () => {
    const parsed = policyDocumentSchema.shape.alertmanager.safeParse({
      alerts: { SlowDns: { signal: 'dns_latency_ms', value: 500, value_is: 'free' } },
    });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['alerts', 'SlowDns', 'value_is']);
    expect(parsed.error?.issues[0]?.message).toContain('value_is: free is for percent signals');
  });

  it("a firing alert's claim has no end when Alertmanager sends its zero time, and keeps one it gave", async () => {
    const { policy } = await shipped();
    const m = mapAlert(
      // The stock rule says how much is free: 3% free is 97% used.
      alert({ alertname: 'HostOutOfDiskSpace', instance: 'db-1' }, { description: 'Disk is almost full\n  VALUE = 3' }),
      policy.alertmanager,
    );
    if (!m.ok) throw new Error(m.message);
    expect(claimOf(m.mapped)).toEqual({
      fingerprint: 'f1',
      alertname: 'HostOutOfDiskSpace',
      signal: 'disk_usage',
      value: 97,
      starts_at: '2026-11-25T10:00:00.000Z',
      ends_at: null,
    });
    const ending = { ...m.mapped, alert: { ...m.mapped.alert, endsAt: '2026-11-25T10:05:00Z' } };
    expect(claimOf(ending).ends_at).toBe('2026-11-25T10:05:00.000Z');
  });

  it("keeps Alertmanager's times in the one ISO form chat shows, whatever Go made of their fractions", async () => {
    const { policy } = await shipped();
    const goTimes = alert({ alertname: 'HostOutOfDiskSpace', instance: 'db-1' }, { description: 'VALUE = 3' });
    const m = mapAlert(
      { ...goTimes, startsAt: '2026-11-25T10:00:00.12Z', endsAt: '2026-11-25T10:05:00.123456789Z' },
      policy.alertmanager,
    );
    if (!m.ok) throw new Error(m.message);
    expect(claimOf(m.mapped)).toMatchObject({
      starts_at: '2026-11-25T10:00:00.120Z',
      ends_at: '2026-11-25T10:05:00.123Z',
    });
  });
});
