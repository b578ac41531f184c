import type { Config } from '../config/types.js';
import { loadClassifier } from './model-file.js';
import { configuredPath, DEFAULT_MODEL_FILE, DEFAULT_POLICY_FILE } from './paths.js';
import { loadPolicyFile } from './policy-file.js';

/** The policy and the approved model that POLICY_FILE and MODEL_FILE name. */
export async function loadPolicyAndModel(config: Pick<Config, 'policyFile' | 'modelFile'>) {
  const [policy, classifier] = await Promise.all([
    loadPolicyFile(configuredPath(config.policyFile, DEFAULT_POLICY_FILE)),
    loadClassifier(configuredPath(config.modelFile, DEFAULT_MODEL_FILE)),
  ]);
  return { policy, classifier };
}
