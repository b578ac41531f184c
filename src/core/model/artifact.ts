import { createHash } from 'node:crypto';
import { z } from 'zod';
import { CLASSES } from '../classes.js';
import { SIGNALS } from '../snapshot/schema.js';
import { EXPECTED_FEATURE_SHAPE, FEATURE_SCHEMA_VERSION, featureShape } from '../features/spec.js';
import { formatIssues, type Result } from '../snapshot/validate.js';

export const ARTIFACT_FORMAT = 'healgate-severity-model/1';

const transformSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('ramp'), center: z.number(), width: z.number().positive() }),
  z.object({ kind: z.literal('identity') }),
]);

const classMetricsSchema = z.object({ precision: z.number(), recall: z.number(), support: z.number().int() });

export const evaluationSchema = z.object({
  seed: z.number().int(),
  size: z.number().int(),
  distribution: z.string(),
  accuracy: z.number(),
  per_class: z.record(z.enum(CLASSES), classMetricsSchema),
  confusion: z.array(z.array(z.number().int())),
  expected_calibration_error: z.number(),
  brier: z.number(),
});

const datasetSchema = z.object({
  seed: z.number().int(),
  size: z.number().int(),
  distribution: z.string(),
  sha256: z.string(),
});

export const artifactSchema = z.object({
  format: z.literal(ARTIFACT_FORMAT),
  version: z.string().regex(/^severity-\d{4}-\d{2}-\d{2}\.\d+$/),
  trained_at: z.iso.datetime(),
  classes: z.tuple([z.literal(CLASSES[0]), z.literal(CLASSES[1]), z.literal(CLASSES[2])]),
  feature_schema: z.object({
    version: z.string(),
    intercept: z.literal(true),
    features: z.array(
      z.object({
        name: z.enum(SIGNALS),
        transform: transformSchema,
        scaling: z.object({ mean: z.number(), std: z.number().positive() }),
      }),
    ),
  }),
  library: z.object({
    name: z.literal('ml-logistic-regression'),
    version: z.string(),
    strategy: z.literal('one-vs-rest'),
    hyperparameters: z.object({ numSteps: z.number().int().positive(), learningRate: z.number().positive() }),
  }),
  weights: z.object({
    name: z.literal('LogisticRegression'),
    numSteps: z.number(),
    learningRate: z.number(),
    numberClasses: z.literal(CLASSES.length),
    classifiers: z
      .array(
        z.object({
          numSteps: z.number(),
          learningRate: z.number(),
          weights: z.array(z.array(z.number()).length(SIGNALS.length + 1)).length(1),
        }),
      )
      .length(CLASSES.length),
  }),
  calibration: z.object({
    method: z.literal('softmax-temperature'),
    temperature: z.number().positive(),
    seed: z.number().int(),
    size: z.number().int(),
  }),
  training: z.object({ policy: z.string(), prng: z.string(), train: datasetSchema }),
  evaluation: z.object({ uniform: evaluationSchema, boundary: evaluationSchema }),
  content_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  approved_by: z.string().min(1).nullable(),
  approved_at: z.iso.datetime().nullable(),
});

export type ModelArtifact = z.infer<typeof artifactSchema>;
export type Evaluation = z.infer<typeof evaluationSchema>;
export type UnsignedArtifact = Omit<ModelArtifact, 'content_sha256' | 'approved_by' | 'approved_at'>;

/** sha256 over everything but the hash and the approval: approving a model does not change what was approved. */
export function contentHash(artifact: object): string {
  const content = Object.fromEntries(Object.entries(artifact).filter(([key]) => !UNHASHED.has(key)));
  return createHash('sha256').update(JSON.stringify(content)).digest('hex');
}

const UNHASHED = new Set(['content_sha256', 'approved_by', 'approved_at']);

export function sealArtifact(content: UnsignedArtifact): ModelArtifact {
  return { ...content, content_sha256: contentHash(content), approved_by: null, approved_at: null };
}

export function serializeArtifact(artifact: ModelArtifact): string {
  return `${JSON.stringify(artifact, null, 2)}\n`;
}

export interface ArtifactCheck {
  /** Refuse an artifact nobody has approved (everything but `model approve` and evaluation). */
  readonly requireApproval: boolean;
}

/**
 * Parses and checks an artifact's text: well-formed, unchanged since
 * training, trained for this code's feature schema, and approved.
 */
export function parseArtifact(text: string, check: ArtifactCheck): Result<ModelArtifact> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `corrupt: not valid JSON (${(err as Error).message})` };
  }
  const parsed = artifactSchema.safeParse(json);
  if (!parsed.success) return { ok: false, error: `corrupt or not a healgate model: ${formatIssues(parsed.error)}` };
  const artifact = parsed.data;
  // Hash the document as written, not zod's copy: key order and any extra key count.
  if (contentHash(json as object) !== artifact.content_sha256) {
    return {
      ok: false,
      error:
        'corrupt: its content does not match content_sha256 (edited or damaged after training); retrain it or restore it',
    };
  }
  const shape = featureShape(artifact.feature_schema.features);
  if (artifact.feature_schema.version !== FEATURE_SCHEMA_VERSION || shape !== EXPECTED_FEATURE_SHAPE) {
    return {
      ok: false,
      error: `feature schema mismatch: the model was trained for ${artifact.feature_schema.version} [${shape}] but this healgate builds ${FEATURE_SCHEMA_VERSION} [${EXPECTED_FEATURE_SHAPE}]; retrain it with \`healgate train\``,
    };
  }
  if (check.requireApproval && (artifact.approved_by === null || artifact.approved_at === null)) {
    return {
      ok: false,
      error: `not approved: review its MODEL_CARD.md, then run \`healgate model approve --by NAME\``,
    };
  }
  return { ok: true, value: artifact };
}
