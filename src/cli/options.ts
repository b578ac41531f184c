import type { Command } from 'commander';
import { loadPolicyAndModelFiles } from '../io/config-files.js';
import { DEFAULT_MODEL_FILE, DEFAULT_POLICY_FILE, resolveConfiguredPath } from '../io/paths.js';

export interface ModelPolicyOptions {
  policy?: string | undefined;
  model?: string | undefined;
}

/** --policy / --model, defaulting to POLICY_FILE / MODEL_FILE and then to the shipped files. */
export function withModelAndPolicy(command: Command): Command {
  return command
    .option('--policy <file>', `policy file (default: $POLICY_FILE or ${DEFAULT_POLICY_FILE})`)
    .option('--model <file>', `model artifact (default: $MODEL_FILE or ${DEFAULT_MODEL_FILE})`);
}

export function policyPath(options: ModelPolicyOptions): string {
  return resolveConfiguredPath(options.policy ?? process.env.POLICY_FILE, DEFAULT_POLICY_FILE);
}

export function modelPath(options: ModelPolicyOptions): string {
  return resolveConfiguredPath(options.model ?? process.env.MODEL_FILE, DEFAULT_MODEL_FILE);
}

export function loadModelAndPolicy(options: ModelPolicyOptions) {
  return loadPolicyAndModelFiles(policyPath(options), modelPath(options));
}

export function parseInteger(name: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new Error(`${name} must be a whole number, got "${value}"`);
    return Number(value);
  };
}

export function parsePositiveNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got "${value}"`);
    return n;
  };
}
