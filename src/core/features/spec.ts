import { SIGNALS, type Signal } from '../snapshot/schema.js';
import type { PolicyDocument } from '../policy/schema.js';

/**
 * The feature builder. Each signal becomes one feature: a continuous signal
 * goes through a steep logistic step centred on its policy threshold, so the
 * model sees "how far past the line" instead of a raw percentage (the raw
 * features cannot express "any of three conditions" linearly and top out
 * around 84% accuracy); the binary firewall flag is used as it is. All
 * features are then standardised with the training set's mean and std.
 *
 * Bump the version whenever the meaning of a feature changes: an artifact
 * trained against another version is refused at load.
 */
export const FEATURE_SCHEMA_VERSION = 'severity-features/1';

export type Transform = { kind: 'step'; center: number; width: number } | { kind: 'identity' };

export interface FeatureDef {
  readonly name: Signal;
  readonly transform: Transform;
}

export interface ScaledFeature extends FeatureDef {
  readonly scaling: { readonly mean: number; readonly std: number };
}

/** Width of the logistic step in the signal's own unit: a few tenths of the resolution users reason in. */
const STEP_WIDTH: Record<Signal, number> = {
  disk_usage: 0.25,
  memory_usage: 0.25,
  cpu_usage: 0.25,
  dns_latency_ms: 2,
  firewall_change_requested: 0,
};

export function featureDefsFor(policy: Pick<PolicyDocument, 'signals'>): FeatureDef[] {
  return SIGNALS.map((signal) => {
    const condition = policy.signals[signal];
    const transform: Transform =
      condition.op === '=='
        ? { kind: 'identity' }
        : { kind: 'step', center: condition.threshold, width: STEP_WIDTH[signal] };
    return { name: signal, transform };
  });
}

/** What must match between an artifact and this code: names, order and kinds of transform. */
export function featureShape(features: readonly FeatureDef[]): string {
  return features.map((f) => `${f.name}:${f.transform.kind}`).join(',');
}

export const EXPECTED_FEATURE_SHAPE = SIGNALS.map(
  (s) => `${s}:${s === 'firewall_change_requested' ? 'identity' : 'step'}`,
).join(',');
