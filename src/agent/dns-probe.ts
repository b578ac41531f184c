import { promises as dns } from 'node:dns';
import type { AgentSettings } from '../core/policy/schema.js';

export interface DnsLookup {
  readonly name: string;
  readonly ms: number;
  /** answer: the resolver replied (NXDOMAIN too); timeout: it did not within the policy's timeout. */
  readonly outcome: 'answer' | 'timeout' | 'error';
  readonly error?: string;
}

export interface DnsProbe {
  /** The slowest lookup; a timeout or an unreachable resolver counts as the timeout value. */
  readonly latency_ms: number;
  readonly timed_out: boolean;
  readonly lookups: readonly DnsLookup[];
}

/** A resolver reply, negative ones included: the resolver did its job, and that is what is timed. */
const ANSWERED: ReadonlySet<string> = new Set([
  dns.NOTFOUND,
  dns.NODATA,
  dns.SERVFAIL,
  dns.REFUSED,
  dns.FORMERR,
  dns.BADNAME,
]);

/**
 * Times real A lookups of the policy's names against its resolvers (the
 * system's when none are named), all at once. A lookup gets one try and
 * the policy's timeout, enforced here too, since c-ares retries on its own
 * schedule.
 */
export async function probeDns(settings: AgentSettings['dns']): Promise<DnsProbe> {
  const resolver = new dns.Resolver({ timeout: settings.timeout, tries: 1 });
  if (settings.resolvers.length > 0) resolver.setServers(settings.resolvers);
  const lookups = await Promise.all(settings.names.map((name) => lookup(resolver, name, settings.timeout)));
  resolver.cancel();
  const latency = Math.max(...lookups.map((l) => (l.outcome === 'answer' ? l.ms : settings.timeout)));
  return {
    latency_ms: Math.round(latency * 10) / 10,
    timed_out: lookups.some((l) => l.outcome !== 'answer'),
    lookups,
  };
}

async function lookup(resolver: dns.Resolver, name: string, timeoutMs: number): Promise<DnsLookup> {
  const start = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
  try {
    const reply = await Promise.race([resolver.resolve4(name).then(() => 'answer' as const), deadline]);
    return { name, ms: elapsed(start), outcome: reply };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (ANSWERED.has(code)) return { name, ms: elapsed(start), outcome: 'answer' };
    if (code === dns.TIMEOUT || code === dns.CANCELLED) return { name, ms: elapsed(start), outcome: 'timeout' };
    return { name, ms: elapsed(start), outcome: 'error', error: code || (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

const elapsed = (start: number) => Math.round((performance.now() - start) * 10) / 10;
