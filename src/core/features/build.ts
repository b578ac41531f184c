import { SIGNALS, type Signals } from '../snapshot/schema.js';
import type { FeatureDef, ScaledFeature } from './spec.js';

/**
 * Builds model input rows. The feature definitions are flattened into typed
 * arrays once, so a row costs a few comparisons and multiply-adds and no
 * allocation. Training, inference and the library cross-check all build
 * rows here, so the three see bit-identical features.
 */
export class FeatureRowBuilder {
  /** Columns in a row: the intercept, then one per feature. */
  readonly width: number;
  private readonly ramp: Uint8Array;
  private readonly center: Float64Array;
  private readonly rampWidth: Float64Array;
  private readonly mean: Float64Array;
  private readonly std: Float64Array;

  /** Unscaled features (mean 0, std 1) give the raw transform values, for computing a training set's scaling. */
  constructor(features: readonly (FeatureDef | ScaledFeature)[]) {
    if (features.map((f) => f.name).join() !== SIGNALS.join()) {
      throw new Error(`features must be ${SIGNALS.join(', ')} in that order`);
    }
    const n = features.length;
    this.width = n + 1;
    this.ramp = new Uint8Array(n);
    this.center = new Float64Array(n);
    this.rampWidth = new Float64Array(n).fill(1);
    this.mean = new Float64Array(n);
    this.std = new Float64Array(n).fill(1);
    features.forEach((f, i) => {
      if (f.transform.kind === 'ramp') {
        this.ramp[i] = 1;
        this.center[i] = f.transform.center;
        this.rampWidth[i] = f.transform.width;
      }
      if ('scaling' in f) {
        this.mean[i] = f.scaling.mean;
        this.std[i] = f.scaling.std;
      }
    });
  }

  /** Writes [1, feature…] into `out` and returns it. */
  build(s: Signals, out: Float64Array): Float64Array {
    out[0] = 1;
    out[1] = this.feature(0, s.disk_usage);
    out[2] = this.feature(1, s.memory_usage);
    out[3] = this.feature(2, s.cpu_usage);
    out[4] = this.feature(3, s.dns_latency_ms);
    out[5] = this.feature(4, s.firewall_change_requested);
    return out;
  }

  private feature(i: number, value: number): number {
    // A ramp 0 → 1 across the threshold, 0.5 on the line.
    const t =
      this.ramp[i] === 1 ? Math.min(1, Math.max(0, 0.5 + (value - this.center[i]!) / this.rampWidth[i]!)) : value;
    return (t - this.mean[i]!) / this.std[i]!;
  }
}
