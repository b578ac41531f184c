import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import LogisticRegression from 'ml-logistic-regression';
import { Matrix } from 'ml-matrix';
import { CLASSES } from '../../src/core/classes.js';
import { FeatureRowBuilder } from '../../src/core/features/build.js';
import { FEATURE_SCHEMA_VERSION, featureDefsFor, type ScaledFeature } from '../../src/core/features/spec.js';
import {
  ARTIFACT_FORMAT,
  artifactSchema,
  sealArtifact,
  type Evaluation,
  type ModelArtifact,
} from '../../src/core/model/artifact.js';
import { SeverityClassifier, softmaxOfNegated } from '../../src/core/model/classifier.js';
import { CalibrationCounter, ConfusionCounter } from '../../src/core/model/metrics.js';
import { labelByRules } from '../../src/core/policy/conditions.js';
import type { Policy } from '../../src/core/policy/policy.js';
import { SIGNALS, type Signals } from '../../src/core/snapshot/schema.js';
import { DISTRIBUTIONS, draw, thresholdsOf, type DistributionName } from './dataset.js';
import { mulberry32 } from './prng.js';

export interface TrainOptions {
  readonly policy: Policy;
  readonly seed: number;
  readonly trainSize: number;
  readonly numSteps: number;
  readonly learningRate: number;
  /** Fixes `trained_at` and the version's date: the artifact is a pure function of these options. */
  readonly date: Date;
  readonly revision: number;
}

// The library sums (not averages) its gradient, so learningRate × trainSize is what sets the step; ~6 is stable.
export const TRAIN_DEFAULTS = {
  seed: 20261125,
  trainSize: 8000,
  numSteps: 800,
  learningRate: 7.5e-4,
  revision: 1,
} as const;

/** Held-out and calibration sets use seeds derived from, and never equal to, the training seed. */
const CALIBRATION = { seedOffset: 1, size: 10_000 } as const;
const HOLDOUT_UNIFORM = { seedOffset: 2, size: 20_000 } as const;
const HOLDOUT_BOUNDARY = { seedOffset: 3, size: 10_000 } as const;

interface Dataset {
  readonly signals: Signals[];
  readonly labels: number[];
}

function generate(name: DistributionName, seed: number, size: number, policy: Policy): Dataset {
  const rng = mulberry32(seed);
  const t = thresholdsOf(policy);
  const signals: Signals[] = [];
  const labels: number[] = [];
  for (let i = 0; i < size; i++) {
    const s = draw(name, rng, t);
    signals.push(s);
    labels.push(CLASSES.indexOf(labelByRules(s, policy)));
  }
  return { signals, labels };
}

function datasetHash(data: Dataset): string {
  const hash = createHash('sha256');
  data.signals.forEach((s, i) => hash.update(`${JSON.stringify([...SIGNALS.map((k) => s[k]), data.labels[i]])}\n`));
  return hash.digest('hex');
}

function standardise(data: Dataset, policy: Policy): ScaledFeature[] {
  const defs = featureDefsFor(policy);
  const raw = new FeatureRowBuilder(defs);
  const sum = new Float64Array(defs.length);
  const sumSq = new Float64Array(defs.length);
  const row = new Float64Array(raw.width);
  for (const s of data.signals) {
    raw.build(s, row);
    for (let i = 0; i < defs.length; i++) {
      sum[i]! += row[i + 1]!;
      sumSq[i]! += row[i + 1]! * row[i + 1]!;
    }
  }
  const n = data.signals.length;
  return defs.map((def, i) => {
    const mean = sum[i]! / n;
    const std = Math.sqrt(Math.max(0, sumSq[i]! / n - mean * mean));
    return { ...def, scaling: { mean, std: std > 1e-12 ? std : 1 } };
  });
}

/** Temperature minimising the calibration set's log loss, by golden-section search on log t. */
function fitTemperature(classifier: SeverityClassifier, data: Dataset): number {
  const scores = data.signals.map((s) => {
    const out = new Float64Array(CLASSES.length);
    classifier.scoresInto(s, out);
    return out;
  });
  const p = new Float64Array(CLASSES.length);
  const logLoss = (logT: number) => {
    let loss = 0;
    scores.forEach((z, i) => {
      softmaxOfNegated(z, Math.exp(logT), p);
      loss -= Math.log(Math.max(p[data.labels[i]!]!, 1e-300));
    });
    return loss;
  };
  const phi = (Math.sqrt(5) - 1) / 2;
  let lo = Math.log(0.01);
  let hi = Math.log(100);
  for (let i = 0; i < 80; i++) {
    const a = hi - phi * (hi - lo);
    const b = lo + phi * (hi - lo);
    if (logLoss(a) < logLoss(b)) hi = b;
    else lo = a;
  }
  return Math.exp((lo + hi) / 2);
}

export function evaluateOn(
  classifier: SeverityClassifier,
  name: DistributionName,
  seed: number,
  size: number,
  policy: Policy,
): Evaluation {
  const data = generate(name, seed, size, policy);
  const confusion = new ConfusionCounter();
  const calibration = new CalibrationCounter();
  const p = new Float64Array(CLASSES.length);
  data.signals.forEach((s, i) => {
    const predicted = classifier.probabilitiesInto(s, p);
    confusion.add(data.labels[i]!, predicted);
    calibration.add(data.labels[i]!, p);
  });
  const scores = confusion.scores();
  return {
    seed,
    size,
    distribution: DISTRIBUTIONS[name],
    accuracy: scores.accuracy,
    per_class: scores.per_class,
    confusion: scores.confusion,
    expected_calibration_error: calibration.expectedCalibrationError(),
    brier: calibration.brier(),
  };
}

export function libraryVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('ml-logistic-regression/package.json') as { version: string }).version;
}

export function trainSeverityModel(options: TrainOptions): ModelArtifact {
  const { policy, seed } = options;
  const train = generate('training', seed, options.trainSize, policy);
  const features = standardise(train, policy);

  const builder = new FeatureRowBuilder(features);
  const rows = train.signals.map((s) => Array.from(builder.build(s, new Float64Array(builder.width))));
  const regression = new LogisticRegression({ numSteps: options.numSteps, learningRate: options.learningRate });
  regression.train(new Matrix(rows), Matrix.columnVector(train.labels));
  // Through JSON so that the weights are plain arrays exactly as they will be read back.
  const weights = artifactSchema.shape.weights.parse(JSON.parse(JSON.stringify(regression)));

  const day = options.date.toISOString().slice(0, 10);
  const version = `severity-${day}.${options.revision}`;
  const feature_schema = { version: FEATURE_SCHEMA_VERSION, intercept: true as const, features };
  const uncalibrated = new SeverityClassifier({
    version,
    feature_schema,
    weights,
    calibration: { method: 'softmax-temperature', temperature: 1, seed: 0, size: 0 },
  });
  const calibrationSeed = seed + CALIBRATION.seedOffset;
  const temperature = fitTemperature(uncalibrated, generate('training', calibrationSeed, CALIBRATION.size, policy));
  const calibration = {
    method: 'softmax-temperature' as const,
    temperature,
    seed: calibrationSeed,
    size: CALIBRATION.size,
  };
  const classifier = new SeverityClassifier({ version, feature_schema, weights, calibration });

  return sealArtifact({
    format: ARTIFACT_FORMAT,
    version,
    trained_at: options.date.toISOString(),
    classes: [CLASSES[0], CLASSES[1], CLASSES[2]],
    feature_schema,
    library: {
      name: 'ml-logistic-regression',
      version: libraryVersion(),
      strategy: 'one-vs-rest',
      hyperparameters: { numSteps: options.numSteps, learningRate: options.learningRate },
    },
    weights,
    calibration,
    training: {
      policy: policy.signalsId,
      prng: 'mulberry32',
      train: { seed, size: options.trainSize, distribution: DISTRIBUTIONS.training, sha256: datasetHash(train) },
    },
    evaluation: {
      uniform: evaluateOn(classifier, 'uniform', seed + HOLDOUT_UNIFORM.seedOffset, HOLDOUT_UNIFORM.size, policy),
      boundary: evaluateOn(classifier, 'boundary', seed + HOLDOUT_BOUNDARY.seedOffset, HOLDOUT_BOUNDARY.size, policy),
    },
  });
}
