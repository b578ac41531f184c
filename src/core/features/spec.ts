import { SIGNALS, type Signal } from '../snapshot/schema.js';
import type { PolicyDocument } from '../policy/schema.js';

/**
 * The feature builder. Each signal becomes one feature: a continuous signal
 * goes through a steep ramp centred on its policy threshold (0 well below,
 * 1 well past, 0.5 on the line), so the model sees "which side of the line,
 * and how surely" instead of a raw percentage: raw features cannot express
 * "any of three conditions" linearly and top out around 84% accuracy. The
 * ramp is linear rather than logistic so that inference needs no exp() per
 * feature. The binary firewall flag is used as it is. All features are then
 * standardised with the training set's mean and std.
 *
 * Bump the version whenever the meaning of a feature changes: an artifact
 * trained against another version is refused at load.
 */
export const FEATURE_SCHEMA_VERSION = 'severity-features/1';

export type Transform = { kind: 'ramp'; center: number; width: number } | { kind: 'identity' };

export interface FeatureDef {
  readonly name: Signal;
  readonly transform: Transform;
}

export interface ScaledFeature extends FeatureDef {
  readonly scaling: { readonly mean: number; readonly std: number };
}

/** Width of the ramp in the signal's own unit: a few steps of the resolution agents report at (0.1). */
const RAMP_WIDTH: Record<Signal, number> = {
  disk_usage: 0.5,
  memory_usage: 0.5,
  cpu_usage: 0.5,
  dns_latency_ms: 2,
  firewall_change_requested: 0,
};

export function featureDefsFor(policy: Pick<PolicyDocument, 'signals'>): FeatureDef[] {
  return SIGNALS.map((signal) => {
    const condition = policy.signals[signal];
    const transform: Transform =
      condition.op === '=='
        ? { kind: 'identity' }
        : { kind: 'ramp', center: condition.threshold, width: RAMP_WIDTH[signal] };
    return { name: signal, transform };
  });
}

/** What must match between an artifact and this code: names, order and kinds of transform. */
export function featureShape(features: readonly FeatureDef[]): string {
  return features.map((f) => `${f.name}:${f.transform.kind}`).join(',');
}

export const EXPECTED_FEATURE_SHAPE = SIGNALS.map(
  (s) => `${s}:${s === 'firewall_change_requested' ? 'identity' : 'ramp'}`,
).join(',');
