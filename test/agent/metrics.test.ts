import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fullestFilesystem, memoryPercent, SystemCollector, type FsEntry } from '../../src/agent/collector.js';
import { probeDns } from '../../src/agent/dns-probe.js';
import { VIRTUAL_FS_TYPES } from '../../src/core/policy/schema.js';
import { startDns, type TestDns } from '../helpers/dns.js';
import { shipped } from '../helpers/core.js';

let answering: TestDns;
let silent: TestDns;
beforeAll(async () => {
  [answering, silent] = await Promise.all([startDns(), startDns({ silent: true })]);
});
afterAll(async () => {
  await Promise.all([answering?.close(), silent?.close()]);
});

const dnsAt = (port: number, names = ['healgate.test']) => ({
  names,
  resolvers: [`127.0.0.1:${port}`],
  timeout: 400,
});

/** `df -PT`: [type, capacity %, mount] for every filesystem. */
async function df(): Promise<{ type: string; use: number; mount: string }[]> {
  const { stdout } = await promisify(execFile)('df', ['-PT']);
  return stdout
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(/\s+/))
    .map((f) => ({ type: f[1]!, use: Number(f[5]!.replace('%', '')), mount: f.slice(6).join(' ') }));
}

describe('live metrics of this machine', () => {
  it('are plausible, and disk matches df within a couple of points', async () => {
    const { policy } = await shipped();
    const collector = new SystemCollector('here', { ...policy.agent, dns: dnsAt(answering.port) });
    await collector.prime();
    const s = await collector.snapshot();
    expect(s.host).toBe('here');
    for (const v of [s.disk_usage, s.memory_usage, s.cpu_usage]) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(100);
    }
    expect(s.memory_usage).toBeGreaterThan(0);
    expect(s.dns_latency_ms).toBeLessThan(400);
    expect(collector.lastDns?.lookups).toEqual([expect.objectContaining({ name: 'healgate.test', outcome: 'answer' })]);

    const real = (await df()).filter((f) => !(VIRTUAL_FS_TYPES as readonly string[]).includes(f.type));
    const fullest = Math.max(...real.map((f) => f.use));
    // df rounds up to whole percent.
    expect(Math.abs(s.disk_usage - fullest)).toBeLessThanOrEqual(2);

    const root = new SystemCollector('here', {
      ...policy.agent,
      disk: { mounts: ['/'], exclude_types: [] },
      dns: dnsAt(answering.port),
    });
    const rootDf = (await df()).find((f) => f.mount === '/')!;
    expect(Math.abs((await root.signal('disk_usage')) - rootDf.use)).toBeLessThanOrEqual(2);
  });
});

describe('which filesystem is "the disk"', () => {
  const fs = (mount: string, type: string, use: number, source = '/dev/vda'): FsEntry => ({
    fs: source,
    type,
    mount,
    size: 1000,
    use,
  });
  const list = [
    fs('/', 'ext4', 40),
    fs('/var', 'xfs', 70),
    fs('/dev/shm', 'tmpfs', 99, 'tmpfs'),
    fs('/mnt/share', 'nfs4', 97, 'nas:/export'),
    fs('/srv', 'ext4', 55),
  ];
  const defaults = { mounts: [], exclude_types: [...VIRTUAL_FS_TYPES] };

  it('is the fullest local, real one by default', () => {
    expect(fullestFilesystem(list, defaults)?.mount).toBe('/var');
  });
  it('is the fullest of the mount points the policy names', () => {
    expect(fullestFilesystem(list, { ...defaults, mounts: ['/', '/srv/'] })?.mount).toBe('/srv');
  });
  it('is none when the named mount is not there', () => {
    expect(fullestFilesystem(list, { ...defaults, mounts: ['/data'] })).toBeUndefined();
  });
  it('counts memory without buffers and cache', () => {
    expect(memoryPercent({ total: 1000, available: 750 })).toBe(25);
  });
});

describe('DNS probe', () => {
  it('times a real lookup against a resolver on loopback', async () => {
    const probe = await probeDns(dnsAt(answering.port, ['a.healgate.test', 'b.healgate.test']));
    expect(probe.timed_out).toBe(false);
    expect(probe.lookups.map((l) => [l.name, l.outcome])).toEqual([
      ['a.healgate.test', 'answer'],
      ['b.healgate.test', 'answer'],
    ]);
    expect(probe.latency_ms).toBe(Math.max(...probe.lookups.map((l) => l.ms)));
    expect(answering.queries).toEqual(expect.arrayContaining(['a.healgate.test', 'b.healgate.test']));
  });

  it('counts a resolver that never answers as the timeout, marked as such', async () => {
    const probe = await probeDns(dnsAt(silent.port));
    expect(probe).toMatchObject({ timed_out: true, latency_ms: 400 });
    expect(probe.lookups[0]).toMatchObject({ name: 'healgate.test', outcome: 'timeout' });
    expect(silent.queries).toContain('healgate.test');
  });
});
