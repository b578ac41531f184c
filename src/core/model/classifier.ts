import { CLASSES, type DecisionClass } from '../classes.js';
import type { Signal, Signals } from '../snapshot/schema.js';
import { FeatureRowBuilder } from '../features/build.js';
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
 * sigmoid(x·w) and picks the smallest. This reproduces that exactly (same
 * summation order, same tie-breaking, the sigmoid itself wherever rounding
 * could matter) on preallocated buffers, so `classify` and
 * `probabilitiesInto` allocate nothing.
 */
export class SeverityClassifier {
  readonly version: string;
  private readonly names: readonly Signal[];
  private readonly rows: FeatureRowBuilder;
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
    this.names = artifact.feature_schema.features.map((f) => f.name);
    this.rows = new FeatureRowBuilder(artifact.feature_schema.features);
    this.width = this.rows.width;
    this.weights = Float64Array.from(artifact.weights.classifiers.flatMap((c) => c.weights[0] ?? []));
    this.temperature = artifact.calibration.temperature;
    this.row = new Float64Array(this.width);
    this.scores = new Float64Array(CLASSES.length);
    this.quiet = this.rows.build(QUIET_HOST, new Float64Array(this.width));
  }

  /** The class the library's `predict` would return. */
  classify(signals: Signals): ClassIndex {
    // Unrolled for the schema's fixed five features (the artifact check
    // guarantees them); the sums keep the library's order, intercept first.
    const r = this.rows;
    const x1 = r.feature(0, signals.disk_usage);
    const x2 = r.feature(1, signals.memory_usage);
    const x3 = r.feature(2, signals.cpu_usage);
    const x4 = r.feature(3, signals.dns_latency_ms);
    const x5 = r.feature(4, signals.firewall_change_requested);
    const { weights: w, scores } = this;
    const s0 = score(w, 0, x1, x2, x3, x4, x5);
    const s1 = score(w, 6, x1, x2, x3, x4, x5);
    const s2 = score(w, 12, x1, x2, x3, x4, x5);
    scores[0] = s0;
    scores[1] = s1;
    scores[2] = s2;
    const best: ClassIndex = s1 < s0 ? (s2 < s1 ? 2 : 1) : s2 < s0 ? 2 : 0;
    // Ordering by score equals ordering by sigmoid(score) unless rounding
    // makes two sigmoids equal (saturation near 1, underflow to 0, or scores
    // a hair apart); then compare the sigmoids exactly as the library does.
    const min = scores[best]!;
    const gap = Math.min(
      best === 0 ? Infinity : s0 - min,
      best === 1 ? Infinity : s1 - min,
      best === 2 ? Infinity : s2 - min,
    );
    return min > -700 && min < 20 && gap > 1e-6 ? best : librarysArgmin(scores);
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
    const row = this.rows.build(signals, this.row);
    const base = best * this.width;
    const contributions = this.names
      .map((feature, i) => ({
        feature,
        value: -this.weights[base + i + 1]! * (row[i + 1]! - this.quiet[i + 1]!),
      }))
      .sort((a, b) => Math.abs(b.value) - Math.abs(a.value));
    return { class: CLASSES[best], probabilities: [out[0]!, out[1]!, out[2]!], contributions };
  }
}

/** One one-vs-rest score, summed in the library's order: 0 + 1·w₀ + x₁·w₁ + … */
function score(w: Float64Array, b: number, x1: number, x2: number, x3: number, x4: number, x5: number): number {
  let s = 0;
  s += w[b]!;
  s += x1 * w[b + 1]!;
  s += x2 * w[b + 2]!;
  s += x3 * w[b + 3]!;
  s += x4 * w[b + 4]!;
  s += x5 * w[b + 5]!;
  return s;
}

/** ml-logistic-regression's predict(): the first class with the smallest sigmoid(score). */
function librarysArgmin(scores: Float64Array): ClassIndex {
  let best: ClassIndex = 0;
  let minimum = 100000;
  for (let c = 0; c < scores.length; c++) {
    const notThisClass = 1 / (1 + Math.exp(-scores[c]!));
    if (notThisClass < minimum) {
      minimum = notThisClass;
      best = c as ClassIndex;
    }
  }
  return best;
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
