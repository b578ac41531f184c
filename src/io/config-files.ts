import type { Config } from '../config/types.js';
import { loadClassifier } from './model-file.js';
import { configuredPath, DEFAULT_MODEL_FILE, DEFAULT_POLICY_FILE } from './paths.js';
import { loadPolicyFile } from './policy-file.js';

/** A policy file and an approved model artifact, read side by side. */
export async function loadPolicyAndModelFiles(policyPath: string, modelPath: string) {
  const [policy, classifier] = await Promise.all([loadPolicyFile(policyPath), loadClassifier(modelPath)]);
  return { policy, classifier };
}

/** The policy and the approved model that POLICY_FILE and MODEL_FILE name. */
export function loadPolicyAndModel(config: Pick<Config, 'policyFile' | 'modelFile'>) {
  return loadPolicyAndModelFiles(
    configuredPath(config.policyFile, DEFAULT_POLICY_FILE),
    configuredPath(config.modelFile, DEFAULT_MODEL_FILE),
  );
}
