import type { Signal, Signals } from '../../src/core/snapshot/schema.js';
import type { PolicyDocument } from '../../src/core/policy/schema.js';
import { uniform, type Rng } from './prng.js';

/**
 * Synthetic snapshots. Values are rounded to 0.1 (percent) and 0.1 ms, the
 * resolution agents report at, so thresholds are hit exactly as well.
 */
type Thresholds = Record<Exclude<Signal, 'firewall_change_requested'>, number>;

const USAGES = ['disk_usage', 'memory_usage', 'cpu_usage'] as const;
const CONTINUOUS = [...USAGES, 'dns_latency_ms'] as const;
/** Slow resolvers time out after a few seconds; beyond that the value carries no news. */
const DNS_MAX_MS = 5000;

export const DISTRIBUTIONS = {
  uniform:
    'every usage U[0,100] %, dns_latency_ms U[0, 2×threshold] ms, firewall_change_requested 0 or 1 with equal odds, all independent',
  training:
    'mixture: 40% wide (usages U[0,100], dns U[0,2×threshold] or, 1 in 5, U[2×threshold,5000] ms, firewall 1 in 2); ' +
    '30% combinations (each signal independently past its threshold with p=0.3, uniform on the side drawn; firewall 1 with p=0.3); ' +
    '30% boundary (one continuous signal within ±3 % / ±15 ms of its threshold, the others past theirs with p=0.15)',
  boundary:
    'one continuous signal within ±3 % (usages) or ±15 ms (dns) of its threshold, the others past theirs with p=0.15, firewall 1 with p=0.15',
} as const;

export type DistributionName = keyof typeof DISTRIBUTIONS;

export function thresholdsOf(policy: Pick<PolicyDocument, 'signals'>): Thresholds {
  return {
    disk_usage: policy.signals.disk_usage.threshold,
    memory_usage: policy.signals.memory_usage.threshold,
    cpu_usage: policy.signals.cpu_usage.threshold,
    dns_latency_ms: policy.signals.dns_latency_ms.threshold,
  };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

function flag(rng: Rng, p: number): 0 | 1 {
  return rng() < p ? 1 : 0;
}

/** Below or past the threshold with probability `pPast`, uniform on the side drawn. */
function sided(rng: Rng, signal: (typeof CONTINUOUS)[number], t: Thresholds, pPast: number): number {
  const hi = signal === 'dns_latency_ms' ? DNS_MAX_MS : 100;
  return rng() < pPast ? uniform(rng, t[signal], hi) : uniform(rng, 0, t[signal]);
}

function drawUniform(rng: Rng, t: Thresholds): Signals {
  return {
    disk_usage: round1(uniform(rng, 0, 100)),
    memory_usage: round1(uniform(rng, 0, 100)),
    cpu_usage: round1(uniform(rng, 0, 100)),
    dns_latency_ms: round1(uniform(rng, 0, 2 * t.dns_latency_ms)),
    firewall_change_requested: flag(rng, 0.5),
  };
}

function drawWide(rng: Rng, t: Thresholds): Signals {
  const s = drawUniform(rng, t);
  if (rng() < 0.2) s.dns_latency_ms = round1(uniform(rng, 2 * t.dns_latency_ms, DNS_MAX_MS));
  return s;
}

function drawCombination(rng: Rng, t: Thresholds, pPast: number): Signals {
  return {
    disk_usage: round1(sided(rng, 'disk_usage', t, pPast)),
    memory_usage: round1(sided(rng, 'memory_usage', t, pPast)),
    cpu_usage: round1(sided(rng, 'cpu_usage', t, pPast)),
    dns_latency_ms: round1(sided(rng, 'dns_latency_ms', t, pPast)),
    firewall_change_requested: flag(rng, pPast),
  };
}

function drawBoundary(rng: Rng, t: Thresholds): Signals {
  const s = drawCombination(rng, t, 0.15);
  const signal = CONTINUOUS[Math.floor(rng() * CONTINUOUS.length)]!;
  const spread = signal === 'dns_latency_ms' ? 15 : 3;
  const hi = signal === 'dns_latency_ms' ? Infinity : 100;
  s[signal] = round1(Math.min(hi, Math.max(0, uniform(rng, t[signal] - spread, t[signal] + spread))));
  return s;
}

export function draw(name: DistributionName, rng: Rng, t: Thresholds): Signals {
  switch (name) {
    case 'uniform':
      return drawUniform(rng, t);
    case 'boundary':
      return drawBoundary(rng, t);
    case 'training': {
      const u = rng();
      if (u < 0.4) return drawWide(rng, t);
      if (u < 0.7) return drawCombination(rng, t, 0.3);
      return drawBoundary(rng, t);
    }
  }
}
