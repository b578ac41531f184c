import { CLASSES, type DecisionClass } from '../classes.js';
import type { Signal, Signals } from '../snapshot/schema.js';
import { buildFeatureRow } from '../features/build.js';
import type { ScaledFeature } from '../features/spec.js';
import type { ModelArtifact } from './artifact.js';

export type ClassIndex = 0 | 1 | 2;

const QUIET_HOST: Signals = {
  disk_usage: 0,
  memory_usage: 0,
  cpu_usage: 0,
  dns_latency_ms: 0,
  firewall_change_requested: 0,
};

export interface Contribution {
  readonly feature: Signal;
  /** Log-odds this feature adds for the winning class, relative to a quiet host (every signal at 0). */
  readonly value: number;
}

export interface Prediction {
  readonly class: DecisionClass;
  readonly probabilities: [number, number, number];
  readonly contributions: Contribution[];
}

/**
 * Inference over the exported weights. The library trains one-vs-rest
 * classifiers whose target is 1 for "any other class", scores each with
 * sigmoid(x·w) and picks the smallest score. This reproduces that exactly
 * (same summation order, same sigmoid, same tie-breaking) on preallocated
 * buffers, so `classify` and `probabilitiesInto` allocate nothing.
 */
export class SeverityClassifier {
  readonly version: string;
  private readonly features: readonly ScaledFeature[];
  private readonly width: number;
  /** Row-major: one row of (intercept + features) weights per class. */
  private readonly weights: Float64Array;
  private readonly temperature: number;
  private readonly row: Float64Array;
  private readonly scores: Float64Array;
  /** The feature row of a quiet host: contributions are measured from it, so they name what is wrong. */
  private readonly quiet: Float64Array;

  constructor(artifact: Pick<ModelArtifact, 'version' | 'feature_schema' | 'weights' | 'calibration'>) {
    this.version = artifact.version;
    this.features = artifact.feature_schema.features;
    this.width = this.features.length + 1;
    this.weights = Float64Array.from(artifact.weights.classifiers.flatMap((c) => c.weights[0] ?? []));
    this.temperature = artifact.calibration.temperature;
    this.row = new Float64Array(this.width);
    this.scores = new Float64Array(CLASSES.length);
    this.quiet = buildFeatureRow(QUIET_HOST, this.features, new Float64Array(this.width));
  }

  /** The class the library's `predict` would return. */
  classify(signals: Signals): ClassIndex {
    buildFeatureRow(signals, this.features, this.row);
    let best: ClassIndex = 0;
    let minimum = 100000;
    for (let c = 0; c < CLASSES.length; c++) {
      let s = 0;
      const base = c * this.width;
      for (let k = 0; k < this.width; k++) s += this.row[k]! * this.weights[base + k]!;
      this.scores[c] = s;
      const notThisClass = 1 / (1 + Math.exp(-s));
      if (notThisClass < minimum) {
        minimum = notThisClass;
        best = c as ClassIndex;
      }
    }
    return best;
  }

  /** The raw one-vs-rest scores into `out` (lower means more likely); returns the class. */
  scoresInto(signals: Signals, out: Float64Array): ClassIndex {
    const best = this.classify(signals);
    out.set(this.scores);
    return best;
  }

  /**
   * Calibrated probabilities into `out` (softmax of the negated one-vs-rest
   * scores at the fitted temperature; they sum to 1). Returns the class.
   */
  probabilitiesInto(signals: Signals, out: Float64Array): ClassIndex {
    const best = this.classify(signals);
    softmaxOfNegated(this.scores, this.temperature, out);
    return best;
  }

  explain(signals: Signals): Prediction {
    const out = new Float64Array(CLASSES.length);
    const best = this.probabilitiesInto(signals, out);
    const base = best * this.width;
    const contributions = this.features
      .map((f, i) => ({
        feature: f.name,
        value: -this.weights[base + i + 1]! * (this.row[i + 1]! - this.quiet[i + 1]!),
      }))
      .sort((a, b) => Math.abs(b.value) - Math.abs(a.value));
    return { class: CLASSES[best], probabilities: [out[0]!, out[1]!, out[2]!], contributions };
  }
}

/** p_j ∝ exp(-t·s_j), shifted by the smallest score so that nothing overflows. */
export function softmaxOfNegated(scores: ArrayLike<number>, temperature: number, out: Float64Array): Float64Array {
  let min = Infinity;
  for (let j = 0; j < scores.length; j++) min = Math.min(min, scores[j]!);
  let sum = 0;
  for (let j = 0; j < scores.length; j++) {
    const e = Math.exp(-temperature * (scores[j]! - min));
    out[j] = e;
    sum += e;
  }
  for (let j = 0; j < scores.length; j++) out[j] = out[j]! / sum;
  return out;
}
