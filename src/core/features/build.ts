import type { Signals } from '../snapshot/schema.js';
import type { FeatureDef, ScaledFeature, Transform } from './spec.js';

export function applyTransform(transform: Transform, value: number): number {
  return transform.kind === 'identity' ? value : 1 / (1 + Math.exp(-(value - transform.center) / transform.width));
}

/** Unscaled feature values, for computing the scaling from a training set. */
export function rawFeatures(signals: Signals, features: readonly FeatureDef[], out: Float64Array): Float64Array {
  for (let i = 0; i < features.length; i++) {
    const f = features[i]!;
    out[i] = applyTransform(f.transform, signals[f.name]);
  }
  return out;
}

/**
 * Writes the model's input row into `out` without allocating: the intercept
 * column (1) first, then each standardised feature.
 */
export function buildFeatureRow(signals: Signals, features: readonly ScaledFeature[], out: Float64Array): Float64Array {
  out[0] = 1;
  for (let i = 0; i < features.length; i++) {
    const f = features[i]!;
    out[i + 1] = (applyTransform(f.transform, signals[f.name]) - f.scaling.mean) / f.scaling.std;
  }
  return out;
}
