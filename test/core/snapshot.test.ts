import { describe, expect, it } from 'vitest';
import { parseSnapshot } from '../../src/core/snapshot/validate.js';
import { snapshot } from '../helpers/core.js';

describe('snapshot validation', () => {
  it('accepts the wire format of DESIGN.md and drops unknown fields', () => {
    const result = parseSnapshot({
      ...snapshot({ ts: '2026-11-25T10:00:00Z' }),
      agent_version: '1.2',
      nested: { a: 1 },
    });
    expect(result).toEqual({ ok: true, value: snapshot({ ts: '2026-11-25T10:00:00Z' }) });
  });

  it('accepts the edges of every range', () => {
    for (const edge of [0, 100]) {
      expect(parseSnapshot(snapshot({ disk_usage: edge, memory_usage: edge, cpu_usage: edge })).ok).toBe(true);
    }
    expect(parseSnapshot(snapshot({ dns_latency_ms: 0, firewall_change_requested: 1 })).ok).toBe(true);
    expect(parseSnapshot(snapshot({ host: 'a'.repeat(63) })).ok).toBe(true);
    expect(parseSnapshot(snapshot({ ts: '2026-11-25T10:00:00.123+01:00' })).ok).toBe(true);
  });

  it.each([
    ['disk_usage', { disk_usage: 100.1 }, 'disk_usage: must be <= 100'],
    ['memory_usage', { memory_usage: -0.5 }, 'memory_usage: must be >= 0'],
    ['cpu_usage', { cpu_usage: '50' }, 'cpu_usage: expected a finite number'],
    ['NaN', { cpu_usage: Number.NaN }, 'cpu_usage: expected a finite number'],
    ['Infinity', { disk_usage: Number.POSITIVE_INFINITY }, 'disk_usage: expected a finite number'],
    ['dns_latency_ms', { dns_latency_ms: -1 }, 'dns_latency_ms: must be >= 0'],
    ['dns Infinity', { dns_latency_ms: Number.POSITIVE_INFINITY }, 'dns_latency_ms: expected a finite number'],
    ['firewall flag', { firewall_change_requested: 2 }, 'firewall_change_requested: expected 0 or 1'],
    ['firewall boolean', { firewall_change_requested: true }, 'firewall_change_requested: expected 0 or 1'],
    ['host shape', { host: '-leading-dash' }, 'host: expected a host name'],
    ['host length', { host: 'a'.repeat(64) }, 'host: expected a host name'],
    ['host injection', { host: 'h1; rm -rf /' }, 'host: expected a host name'],
    ['ts', { ts: 'yesterday' }, 'ts: expected an ISO-8601 timestamp'],
  ])('rejects a bad %s and names the field', (_, override, message) => {
    const result = parseSnapshot({ ...snapshot(), ...override });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain(message);
  });

  it('names every missing field', () => {
    const result = parseSnapshot({ host: 'host-1', disk_usage: 10 });
    expect(result).toEqual({
      ok: false,
      error:
        'memory_usage: is required; cpu_usage: is required; dns_latency_ms: is required; firewall_change_requested: is required',
    });
  });

  it('rejects something that is not an object', () => {
    for (const value of [null, 42, 'host-1', [snapshot()]]) {
      const result = parseSnapshot(value);
      expect(result).toEqual({ ok: false, error: 'expected a JSON object with the snapshot fields' });
    }
  });
});
