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
  // Each feature is two multiply-adds: t = clamp(v·slope + intercept) for a
  // ramp (t = v otherwise), then t·scale + offset to standardise.
  private readonly ramp: Uint8Array;
  private readonly slope: Float64Array;
  private readonly intercept: Float64Array;
  private readonly scale: Float64Array;
  private readonly offset: Float64Array;

  /** Unscaled features (no `scaling`) give the raw transform values, for computing a training set's scaling. */
  constructor(features: readonly (FeatureDef | ScaledFeature)[]) {
    if (features.map((f) => f.name).join() !== SIGNALS.join()) {
      throw new Error(`features must be ${SIGNALS.join(', ')} in that order`);
    }
    const n = features.length;
    this.width = n + 1;
    this.ramp = new Uint8Array(n);
    this.slope = new Float64Array(n);
    this.intercept = new Float64Array(n);
    this.scale = new Float64Array(n).fill(1);
    this.offset = new Float64Array(n);
    features.forEach((f, i) => {
      if (f.transform.kind === 'ramp') {
        // 0 at center - width/2, 0.5 on the threshold, 1 at center + width/2.
        this.ramp[i] = 1;
        this.slope[i] = 1 / f.transform.width;
        this.intercept[i] = 0.5 - f.transform.center / f.transform.width;
      }
      if ('scaling' in f) {
        this.scale[i] = 1 / f.scaling.std;
        this.offset[i] = -f.scaling.mean / f.scaling.std;
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

  /** Feature `i` (0-based, in SIGNALS order) of a signal value, standardised. */
  feature(i: number, value: number): number {
    const t = this.ramp[i] === 1 ? Math.min(1, Math.max(0, value * this.slope[i]! + this.intercept[i]!)) : value;
    return t * this.scale[i]! + this.offset[i]!;
  }
}
