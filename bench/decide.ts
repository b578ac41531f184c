/**
 * Inference and decision throughput, against the library baseline measured
 * in the same process:
 *   - ns per prediction: SeverityClassifier.classify vs ml-logistic-regression
 *     predict() on one snapshot (the online case) and on a 10k batch;
 *   - decide() calls per second on one core.
 * Run: npm run bench:decide   (record the figures in bench/RESULTS.md)
 */
import { cpus } from 'node:os';
import LogisticRegression from 'ml-logistic-regression';
import { Matrix } from 'ml-matrix';
import { decide } from '../src/core/decide/decide.js';
import { FeatureRowBuilder } from '../src/core/features/build.js';
import { SeverityClassifier } from '../src/core/model/classifier.js';
import type { Policy } from '../src/core/policy/policy.js';
import { snapshotSchema, type Snapshot } from '../src/core/snapshot/schema.js';
import { readModelFile } from '../src/io/model-file.js';
import { resolveConfiguredPath, DEFAULT_MODEL_FILE, DEFAULT_POLICY_FILE } from '../src/io/paths.js';
import { loadPolicyFile } from '../src/io/policy-file.js';
import { draw, thresholdsOf } from '../model/training/dataset.js';
import { mulberry32 } from '../model/training/prng.js';

const N = 10_000;
const WARMUP = 3;
const ROUNDS = 15;

/** ns per snapshot of one pass of `fn` over all snapshots. */
function pass(fn: () => number): number {
  const start = process.hrtime.bigint();
  if (fn() === -1) console.log('unreachable'); // keeps the work observable to the JIT
  return Number(process.hrtime.bigint() - start) / N;
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function run(
  classifier: SeverityClassifier,
  library: LogisticRegression,
  builder: FeatureRowBuilder,
  policy: Policy,
  snapshots: Snapshot[],
) {
  const rows = snapshots.map((s) => Array.from(builder.build(s, new Float64Array(builder.width))));
  const row = new Float64Array(builder.width);
  const passes = {
    ours: () => {
      let acc = 0;
      for (let i = 0; i < N; i++) acc += classifier.classify(snapshots[i]!);
      return acc;
    },
    // The library needs the feature row too: building it is part of what both sides pay.
    online: () => {
      let acc = 0;
      for (let i = 0; i < N; i++)
        acc += library.predict(new Matrix([Array.from(builder.build(snapshots[i]!, row))]))[0]!;
      return acc;
    },
    batch: () => library.predict(new Matrix(rows)).length,
    decide: () => {
      let acc = 0;
      for (let i = 0; i < N; i++) acc += decide(snapshots[i]!, classifier, policy).severity;
      return acc;
    },
  };
  // Interleaved rounds, so that both sides of each ratio see the same machine
  // conditions; medians, because shared machines are noisy.
  const t = {
    ours: [] as number[],
    online: [] as number[],
    batch: [] as number[],
    decide: [] as number[],
    ratio: [] as number[],
  };
  for (let r = 0; r < WARMUP + ROUNDS; r++) {
    const ours = pass(passes.ours);
    const online = pass(passes.online);
    const batch = pass(passes.batch);
    const dec = pass(passes.decide);
    if (r < WARMUP) continue;
    t.ours.push(ours);
    t.online.push(online);
    t.batch.push(batch);
    t.decide.push(dec);
    t.ratio.push(online / ours);
  }
  return {
    ours: median(t.ours),
    online: median(t.online),
    batch: median(t.batch),
    decide: median(t.decide),
    ratio: median(t.ratio),
  };
}

const artifact = await readModelFile(resolveConfiguredPath(undefined, DEFAULT_MODEL_FILE), { requireApproval: true });
const policy = await loadPolicyFile(resolveConfiguredPath(undefined, DEFAULT_POLICY_FILE));
const rng = mulberry32(424242);
// Through the wire schema, as the bot receives them.
const snapshots = Array.from({ length: N }, (_, i) =>
  snapshotSchema.parse({ host: `host-${i % 500}`, ...draw('training', rng, thresholdsOf(policy)) }),
);
const r = run(
  new SeverityClassifier(artifact),
  LogisticRegression.load(artifact.weights),
  new FeatureRowBuilder(artifact.feature_schema.features),
  policy,
  snapshots,
);

const fmt = (ns: number) => `${ns.toFixed(1)} ns`.padStart(10);
console.log(`machine: ${cpus()[0]?.model ?? 'unknown'} (${cpus().length} cores), node ${process.version}`);
console.log(`model ${artifact.version}, ${N} snapshots (training mixture), median of ${ROUNDS} interleaved rounds`);
console.log(`classify (ours, allocation-free)          ${fmt(r.ours)} per prediction`);
console.log(
  `library predict(), one snapshot per call  ${fmt(r.online)} per prediction  → ours is ${r.ratio.toFixed(1)}x faster (median per-round ratio; goal >= 20x)`,
);
console.log(
  `library predict(), 10k batch              ${fmt(r.batch)} per prediction  → ours is ${(r.batch / r.ours).toFixed(1)}x faster`,
);
console.log(
  `decide() full decision object             ${fmt(r.decide)} per call = ${Math.round(1e9 / r.decide).toLocaleString('en-US')} calls/s on one core`,
);
