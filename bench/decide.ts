/**
 * Inference and decision throughput, against the library baseline measured
 * in the same process:
 *   - ns per prediction: SeverityClassifier.classify vs ml-logistic-regression
 *     predict() on one snapshot (the online case) and on a 10k batch;
 *   - decide() calls per second on one core.
 * Run: npm run bench:decide   (figures go to bench/RESULTS.md by hand)
 */
import { cpus } from 'node:os';
import LogisticRegression from 'ml-logistic-regression';
import { Matrix } from 'ml-matrix';
import { decide } from '../src/core/decide/decide.js';
import { FeatureRowBuilder } from '../src/core/features/build.js';
import { SeverityClassifier } from '../src/core/model/classifier.js';
import type { Snapshot } from '../src/core/snapshot/schema.js';
import { readModelFile } from '../src/io/model-file.js';
import { resolveConfiguredPath, DEFAULT_MODEL_FILE, DEFAULT_POLICY_FILE } from '../src/io/paths.js';
import { loadPolicyFile } from '../src/io/policy-file.js';
import { draw, thresholdsOf } from '../model/training/dataset.js';
import { mulberry32 } from '../model/training/prng.js';

const artifact = await readModelFile(resolveConfiguredPath(undefined, DEFAULT_MODEL_FILE), { requireApproval: true });
const policy = await loadPolicyFile(resolveConfiguredPath(undefined, DEFAULT_POLICY_FILE));
const classifier = new SeverityClassifier(artifact);
const library = LogisticRegression.load(artifact.weights);

const N = 10_000;
const rng = mulberry32(424242);
const snapshots: Snapshot[] = Array.from({ length: N }, (_, i) => ({
  host: `host-${i % 500}`,
  ...draw('training', rng, thresholdsOf(policy)),
}));
const builder = new FeatureRowBuilder(artifact.feature_schema.features);
const rows = snapshots.map((s) => Array.from(builder.build(s, new Float64Array(builder.width))));

/** Best of `rounds` timings of `fn` over all snapshots, in ns per snapshot. */
function measure(rounds: number, fn: () => number): number {
  let best = Infinity;
  let sink = 0;
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    sink += fn();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / N);
  }
  if (sink === -1) console.log(sink); // keeps the work observable to the JIT
  return best;
}

const ours = measure(30, () => {
  let acc = 0;
  for (const s of snapshots) acc += classifier.classify(s);
  return acc;
});
// The library needs the feature row too: building it is part of what both sides pay.
const libraryOnline = measure(5, () => {
  let acc = 0;
  const row = new Float64Array(builder.width);
  for (const s of snapshots) acc += library.predict(new Matrix([Array.from(builder.build(s, row))]))[0]!;
  return acc;
});
const libraryBatch = measure(5, () => library.predict(new Matrix(rows)).length);
const decideNs = measure(20, () => {
  let acc = 0;
  for (const s of snapshots) acc += decide(s, classifier, policy).severity;
  return acc;
});

const fmt = (ns: number) => `${ns.toFixed(1)} ns`;
console.log(`machine: ${cpus()[0]?.model ?? 'unknown'} (${cpus().length} cores), node ${process.version}`);
console.log(`model ${artifact.version}, ${N} snapshots (training mixture), best of several rounds`);
console.log(`classify (ours, allocation-free)          ${fmt(ours)} per prediction`);
console.log(
  `library predict(), one snapshot per call  ${fmt(libraryOnline)} per prediction  → ours is ${(libraryOnline / ours).toFixed(1)}x faster (goal >= 20x)`,
);
console.log(
  `library predict(), 10k batch              ${fmt(libraryBatch)} per prediction  → ours is ${(libraryBatch / ours).toFixed(1)}x faster`,
);
console.log(
  `decide() full decision object             ${fmt(decideNs)} per call = ${Math.round(1e9 / decideNs).toLocaleString('en-US')} calls/s on one core`,
);
