import type { Snapshot } from '../../src/core/snapshot/schema.js';
import type { Rng } from '../../model/training/prng.js';

/** A plausible snapshot; with probability `breachRate` its disk is past the threshold. */
export function healthy(host: string, rng: Rng, breachRate: number): Snapshot {
  return {
    host,
    disk_usage: rng() < breachRate ? 86 + rng() * 13 : 20 + rng() * 55,
    memory_usage: 20 + rng() * 50,
    cpu_usage: 5 + rng() * 60,
    dns_latency_ms: 5 + rng() * 80,
    firewall_change_requested: 0,
  };
}
