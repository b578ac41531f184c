import si from 'systeminformation';
import type { AgentSettings } from '../core/policy/schema.js';
import type { Signal, Snapshot } from '../core/snapshot/schema.js';
import { probeDns, type DnsProbe } from './dns-probe.js';

/** What the agent measures: a whole snapshot per poll, or one signal again after a heal. */
export interface Collector {
  snapshot(): Promise<Snapshot>;
  signal(signal: Signal): Promise<number>;
}

export interface FsEntry {
  readonly fs: string;
  readonly type: string;
  readonly mount: string;
  readonly size: number;
  readonly use: number;
}

/**
 * The fullest filesystem that counts: the policy's mount points, or every
 * local, real one (network and virtual types excluded). Undefined when none
 * is there, which the caller reports rather than inventing a 0.
 */
export function fullestFilesystem(list: readonly FsEntry[], disk: AgentSettings['disk']): FsEntry | undefined {
  const counted = list.filter((f) =>
    disk.mounts.length > 0
      ? disk.mounts.some((m) => trimSlash(m) === trimSlash(f.mount))
      : f.size > 0 && !disk.exclude_types.includes(f.type) && !isNetwork(f),
  );
  return counted.reduce<FsEntry | undefined>((worst, f) => (worst && worst.use >= f.use ? worst : f), undefined);
}

const trimSlash = (p: string) => (p.length > 1 ? p.replace(/\/+$/, '') : p);
const NETWORK_TYPES = new Set([
  'nfs',
  'nfs4',
  'cifs',
  'smbfs',
  'smb3',
  'sshfs',
  'fuse.sshfs',
  '9p',
  'glusterfs',
  'ceph',
]);
const isNetwork = (f: FsEntry) => NETWORK_TYPES.has(f.type) || /^\/\/|^[^/]+:\//.test(f.fs);

/** Used memory without buffers and page cache: what the kernel could not hand out right now. */
export function memoryPercent(mem: { total: number; available: number }): number {
  return mem.total > 0 ? clampPercent((100 * (mem.total - mem.available)) / mem.total) : 0;
}

/** Snapshots are reported at 0.1 resolution, as the model was trained. */
const round1 = (v: number) => Math.round(v * 10) / 10;
const clampPercent = (v: number) => Math.min(100, Math.max(0, v));

const MIN_CPU_WINDOW_MS = 1000;

export class NoFilesystemError extends Error {
  override readonly name = 'NoFilesystemError';
}

/**
 * This host's health through systeminformation: CPU load since the previous
 * reading (the first call primes it), memory, the fullest counted
 * filesystem, and DNS latency from real lookups. Only cheap calls: process
 * and service lists are never read on a poll.
 */
export class SystemCollector implements Collector {
  /** The last poll's DNS probe, for the log. */
  lastDns: DnsProbe | undefined;
  private cpuReadAt = 0;

  constructor(
    private readonly host: string,
    private readonly settings: AgentSettings,
  ) {}

  async prime(): Promise<void> {
    await si.currentLoad();
    this.cpuReadAt = Date.now();
  }

  async snapshot(): Promise<Snapshot> {
    const [cpu, memory, disk, dns] = await Promise.all([
      this.cpu(),
      this.memory(),
      this.disk(),
      probeDns(this.settings.dns),
    ]);
    this.lastDns = dns;
    return {
      host: this.host,
      ts: new Date().toISOString(),
      disk_usage: disk,
      memory_usage: memory,
      cpu_usage: cpu,
      dns_latency_ms: dns.latency_ms,
      firewall_change_requested: 0,
    };
  }

  async signal(signal: Signal): Promise<number> {
    switch (signal) {
      case 'disk_usage':
        return this.disk();
      case 'memory_usage':
        return this.memory();
      case 'cpu_usage':
        return this.cpu();
      case 'dns_latency_ms':
        return (await probeDns(this.settings.dns)).latency_ms;
      case 'firewall_change_requested':
        return 0;
    }
  }

  /** The load since the previous reading, over at least a second: a few ticks say nothing. */
  private async cpu(): Promise<number> {
    const wait = this.cpuReadAt + MIN_CPU_WINDOW_MS - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const load = (await si.currentLoad()).currentLoad;
    this.cpuReadAt = Date.now();
    return round1(clampPercent(load));
  }

  private async memory(): Promise<number> {
    return round1(memoryPercent(await si.mem()));
  }

  private async disk(): Promise<number> {
    const fullest = fullestFilesystem(await si.fsSize(), this.settings.disk);
    if (!fullest) {
      const which = this.settings.disk.mounts.length > 0 ? this.settings.disk.mounts.join(', ') : 'local filesystem';
      throw new NoFilesystemError(`no ${which} found to measure disk_usage`);
    }
    return round1(clampPercent(fullest.use));
  }
}
