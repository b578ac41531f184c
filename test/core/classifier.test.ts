import LogisticRegression from 'ml-logistic-regression';
import { Matrix } from 'ml-matrix';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLASSES } from '../../src/core/classes.js';
import { FeatureRowBuilder } from '../../src/core/features/build.js';
import type { ModelArtifact } from '../../src/core/model/artifact.js';
import { SeverityClassifier } from '../../src/core/model/classifier.js';
import { labelByRules } from '../../src/core/policy/conditions.js';
import type { Policy } from '../../src/core/policy/policy.js';
import type { Signals } from '../../src/core/snapshot/schema.js';
import { readModelFile } from '../../src/io/model-file.js';
import { loadPolicyFile } from '../../src/io/policy-file.js';
import { draw, thresholdsOf, type DistributionName } from '../../model/training/dataset.js';
import { mulberry32 } from '../../model/training/prng.js';
import { DEFAULT_POLICY, SHIPPED_MODEL, snapshot } from '../helpers/core.js';

let artifact: ModelArtifact;
let classifier: SeverityClassifier;
let policy: Policy;

beforeAll(async () => {
  artifact = await readModelFile(SHIPPED_MODEL, { requireApproval: true });
  classifier = new SeverityClassifier(artifact);
  policy = await loadPolicyFile(DEFAULT_POLICY);
});

/** Seeds unrelated to the ones the artifact was trained, calibrated or evaluated with. */
function sample(name: DistributionName, seed: number, size: number): Signals[] {
  const rng = mulberry32(seed);
  const t = thresholdsOf(policy);
  return Array.from({ length: size }, () => draw(name, rng, t));
}

describe('severity classifier', () => {
  it("returns the library's predict() class on 12,000 snapshots, near thresholds and extremes included", () => {
    const snapshots = [
      ...sample('uniform', 7001, 4000),
      ...sample('boundary', 7002, 4000),
      ...sample('training', 7003, 4000),
    ];
    const builder = new FeatureRowBuilder(artifact.feature_schema.features);
    const rows = snapshots.map((s) => Array.from(builder.build(s, new Float64Array(builder.width))));
    const library = LogisticRegression.load(artifact.weights).predict(new Matrix(rows));
    const ours = snapshots.map((s) => classifier.classify(s));
    expect(ours).toEqual(library);
    // The comparison means something only if every class occurs.
    expect(new Set(ours)).toEqual(new Set([0, 1, 2]));
  });

  it.each([
    ['saturated near 1', [50, 45, 40]],
    ['underflowed to 0', [-800, -900, 10]],
    ['a hair apart', [3 + 1e-12, 3, 5]],
    ['plainly ordered', [2, -1, 4]],
  ])('breaks ties like the library when the sigmoids are %s', (_, intercepts) => {
    // Only the intercept column carries weight, so the scores are exactly the intercepts.
    const width = artifact.feature_schema.features.length + 1;
    const weights = {
      ...artifact.weights,
      classifiers: intercepts.map((b) => ({
        numSteps: 1,
        learningRate: 1,
        weights: [[b, ...Array<number>(width - 1).fill(0)]],
      })),
    };
    const fixed = new SeverityClassifier({ ...artifact, weights });
    const s = snapshot({ disk_usage: 90 });
    const row = Array.from(new FeatureRowBuilder(artifact.feature_schema.features).build(s, new Float64Array(width)));
    expect(fixed.classify(s)).toBe(LogisticRegression.load(weights).predict(new Matrix([row]))[0]);
  });

  it('reaches 99% accuracy against the default rules on fresh uniform snapshots', () => {
    const snapshots = sample('uniform', 9_100_001, 20_000);
    const correct = snapshots.filter((s) => CLASSES[classifier.classify(s)] === labelByRules(s, policy)).length;
    expect(correct / snapshots.length).toBeGreaterThanOrEqual(0.99);
    expect(artifact.evaluation.uniform.accuracy).toBeGreaterThanOrEqual(0.99);
  });

  it('gives probabilities that sum to 1 and agree with the class', () => {
    const out = new Float64Array(3);
    for (const s of sample('training', 4242, 2000)) {
      const cls = classifier.probabilitiesInto(s, out);
      expect(out[0]! + out[1]! + out[2]!).toBeCloseTo(1, 12);
      for (const p of out) expect(p).toBeGreaterThanOrEqual(0);
      expect(out[cls]).toBe(Math.max(...out));
    }
  });

  it('is confident far from thresholds and unsure right at them', () => {
    const far = classifier.explain(snapshot({ disk_usage: 97 }));
    expect(far.class).toBe('AUTO_HEAL');
    expect(far.probabilities[1]).toBeGreaterThan(0.99);
    const edge = classifier.explain(snapshot({ disk_usage: 85 }));
    expect(Math.max(...edge.probabilities)).toBeLessThan(0.9);
  });

  it('names the signal behind its verdict first', () => {
    expect(classifier.explain(snapshot({ disk_usage: 93 })).contributions[0]).toMatchObject({ feature: 'disk_usage' });
    expect(classifier.explain(snapshot({ cpu_usage: 99 })).contributions[0]).toMatchObject({ feature: 'cpu_usage' });
    const dns = classifier.explain(snapshot({ dns_latency_ms: 900 }));
    expect(dns.class).toBe('HITL_REQUIRED');
    expect(dns.contributions[0]).toMatchObject({ feature: 'dns_latency_ms' });
    expect(dns.contributions[0]!.value).toBeGreaterThan(0);
  });
});
