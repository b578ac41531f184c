import { describe, expect, it } from 'vitest';
import { conditionHolds } from '../../src/core/policy/conditions.js';
import { mergeSignals, type AlertClaim, type Merged, type Reading } from '../../src/core/signals/merge.js';
import type { Signal } from '../../src/core/snapshot/schema.js';
import { shipped } from '../helpers/core.js';

const T0 = Date.parse('2026-11-25T10:00:00Z');
const quiet = {
  disk_usage: 20,
  memory_usage: 30,
  cpu_usage: 10,
  dns_latency_ms: 20,
  firewall_change_requested: 0,
} as const;

/** What a host holds as its sources arrive; `merge` is what the worker decides on at that point. */
class Host {
  reading: Reading | undefined;
  claims: AlertClaim[] = [];
  firewall = 0;
  private clock = T0;

  agent(values: Partial<Reading['values']>) {
    return this.read('agent', values);
  }
  push(values: Partial<Reading['values']>) {
    return this.read('push', values);
  }
  private read(source: Reading['source'], values: Partial<Reading['values']>) {
    this.reading = { source, values: { ...quiet, ...values }, at: (this.clock += 1000) };
    return this;
  }
  fire(fingerprint: string, signal: Signal, value: number, endsAt: string | null = null) {
    this.claims = this.claims.filter((c) => c.fingerprint !== fingerprint);
    this.claims.push({
      fingerprint,
      alertname: `A${fingerprint}`,
      signal,
      value,
      starts_at: new Date((this.clock += 1000)).toISOString(),
      ends_at: endsAt,
    });
    return this;
  }
  resolve(fingerprint: string) {
    this.claims = this.claims.filter((c) => c.fingerprint !== fingerprint);
    return this;
  }
  request() {
    this.firewall += 1;
    return this;
  }
  merge(now = this.clock + 1000): Merged {
    return mergeSignals({ reading: this.reading, claims: this.claims, firewallRequests: this.firewall, now });
  }
}

const kind = (m: Merged, s: Signal) => m.views[s].source.kind;

describe('mergeSignals: which source decides a signal', () => {
  it('agent then push, push then agent: the latest reading stands for the host', () => {
    const a = new Host().agent({ disk_usage: 91 }).push({ disk_usage: 40 }).merge();
    expect([a.values.disk_usage, kind(a, 'disk_usage')]).toEqual([40, 'push']);
    const b = new Host().push({ disk_usage: 40 }).agent({ disk_usage: 91 }).merge();
    expect([b.values.disk_usage, kind(b, 'disk_usage')]).toEqual([91, 'agent']);
    expect(b.views.disk_usage.reading).toBeNull();
  });

  it('agent then agent: the newer poll replaces the older', () => {
    const m = new Host().agent({ disk_usage: 91 }).agent({ disk_usage: 24.7 }).merge();
    expect(m.values.disk_usage).toBe(24.7);
  });

  it.each(['agent', 'push'] as const)(
    'alert then a healthy %s reading: the alert holds, the reading is shown beside it',
    (source) => {
      const host = new Host().fire('f1', 'disk_usage', 97.5);
      const m = (source === 'agent' ? host.agent({ disk_usage: 24.7 }) : host.push({ disk_usage: 24.7 })).merge();
      expect(m.values.disk_usage).toBe(97.5);
      expect(m.views.disk_usage).toEqual({
        value: 97.5,
        source: { kind: 'alert', alertname: 'Af1', fingerprint: 'f1', since: new Date(T0 + 1000).toISOString() },
        reading: { source, value: 24.7 },
      });
      // The other signals are the reading's own.
      expect([m.values.memory_usage, kind(m, 'memory_usage')]).toEqual([30, source]);
    },
  );

  it.each(['agent', 'push'] as const)('a %s reading then an alert: the alert takes the signal over', (source) => {
    const host = source === 'agent' ? new Host().agent({ disk_usage: 50 }) : new Host().push({ disk_usage: 50 });
    const m = host.fire('f1', 'disk_usage', 96).merge();
    expect([m.values.disk_usage, kind(m, 'disk_usage')]).toEqual([96, 'alert']);
  });

  it('the incident an alert opened stays open through healthy readings, and resolves with the alert', async () => {
    const { policy } = await shipped();
    const disk = policy.signals.disk_usage;
    const host = new Host().fire('f1', 'disk_usage', 97.5);
    expect(conditionHolds(disk, host.merge().values.disk_usage)).toBe(true);
    for (const v of [24.7, 10, 5])
      expect(conditionHolds(disk, host.agent({ disk_usage: v }).merge().values.disk_usage)).toBe(true);
    expect(conditionHolds(disk, host.push({ disk_usage: 3 }).merge().values.disk_usage)).toBe(true);
    const after = host.resolve('f1').merge();
    expect([after.values.disk_usage, kind(after, 'disk_usage')]).toEqual([3, 'push']);
    expect(conditionHolds(disk, after.values.disk_usage)).toBe(false);
  });

  it('after the alert resolves, a reading still past the threshold keeps the signal up on its own', () => {
    const m = new Host().fire('f1', 'disk_usage', 97).agent({ disk_usage: 93 }).resolve('f1').merge();
    expect([m.values.disk_usage, kind(m, 'disk_usage')]).toEqual([93, 'agent']);
  });

  it('alert and alert on different signals of one host: neither resets the other', () => {
    const host = new Host().fire('disk', 'disk_usage', 97).fire('mem', 'memory_usage', 96);
    const both = host.merge();
    expect([both.values.disk_usage, both.values.memory_usage]).toEqual([97, 96]);
    const one = host.resolve('disk').merge();
    expect([one.values.disk_usage, kind(one, 'disk_usage'), one.values.memory_usage]).toEqual([0, 'none', 96]);
  });

  it('alert and alert on one signal: the higher value decides, and the other still holds when it resolves', () => {
    const host = new Host().agent({}).fire('a', 'disk_usage', 92).fire('b', 'disk_usage', 97);
    const m = host.merge();
    expect([m.values.disk_usage, m.views.disk_usage.source]).toMatchObject([97, { fingerprint: 'b' }]);
    const left = host.resolve('b').merge();
    expect([left.values.disk_usage, left.views.disk_usage.source]).toMatchObject([92, { fingerprint: 'a' }]);
  });

  it('an alert expires at the endsAt Alertmanager gave, and the reading decides again', () => {
    const host = new Host().agent({ disk_usage: 22 }).fire('f1', 'disk_usage', 97, new Date(T0 + 60_000).toISOString());
    expect(host.merge(T0 + 59_000).values.disk_usage).toBe(97);
    const expired = host.merge(T0 + 60_000);
    expect([expired.values.disk_usage, kind(expired, 'disk_usage')]).toEqual([22, 'agent']);
  });

  it('a host only alerts speak for: the other signals are 0 from no source', () => {
    const m = new Host().fire('f1', 'cpu_usage', 99).merge();
    expect(m.values).toEqual({
      disk_usage: 0,
      memory_usage: 0,
      cpu_usage: 99,
      dns_latency_ms: 0,
      firewall_change_requested: 0,
    });
    expect(kind(m, 'disk_usage')).toBe('none');
  });

  it.each(['agent', 'push'] as const)('firewall request and a %s reading of 0: the request holds', (source) => {
    const host = new Host().request();
    const m = (source === 'agent' ? host.agent({}) : host.push({})).merge();
    expect(m.views.firewall_change_requested).toEqual({
      value: 1,
      source: { kind: 'firewall', requests: 1 },
      reading: { source, value: 0 },
    });
  });

  it('firewall request and an alert on the firewall signal: the request decides, the alert is 1 at most', () => {
    const withRequest = new Host().fire('f1', 'firewall_change_requested', 1).request().merge();
    expect(kind(withRequest, 'firewall_change_requested')).toBe('firewall');
    const alone = new Host().fire('f1', 'firewall_change_requested', 0.4).merge();
    expect([alone.values.firewall_change_requested, kind(alone, 'firewall_change_requested')]).toEqual([1, 'alert']);
  });

  it('firewall request and an alert on another signal: each holds its own', () => {
    const m = new Host().request().fire('f1', 'disk_usage', 97).merge();
    expect([m.values.disk_usage, m.values.firewall_change_requested]).toEqual([97, 1]);
  });
});
