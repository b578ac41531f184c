import { readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseArtifact, serializeArtifact, type ArtifactCheck, type ModelArtifact } from '../core/model/artifact.js';
import { SeverityClassifier } from '../core/model/classifier.js';
import { renderModelCard } from '../core/model/card.js';

export class ModelFileError extends Error {
  override readonly name = 'ModelFileError';
}

export async function readModelFile(path: string, check: ArtifactCheck): Promise<ModelArtifact> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ModelFileError(`cannot read model file ${path}: ${(err as Error).message}`);
  }
  const parsed = parseArtifact(text, check);
  if (!parsed.ok) throw new ModelFileError(`refusing model file ${path}: ${parsed.error}`);
  return parsed.value;
}

/** Loads an approved artifact once; the classifier then serves every prediction. */
export async function loadClassifier(path: string): Promise<SeverityClassifier> {
  return new SeverityClassifier(await readModelFile(path, { requireApproval: true }));
}

export function modelCardPath(modelPath: string): string {
  return join(dirname(modelPath), 'MODEL_CARD.md');
}

/** Writes the artifact and its model card, each through a rename so a crash never leaves half a file. */
export async function writeModelFiles(path: string, artifact: ModelArtifact): Promise<void> {
  await writeAtomically(path, serializeArtifact(artifact));
  await writeAtomically(modelCardPath(path), renderModelCard(artifact));
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}
