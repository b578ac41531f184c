import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout or installed package root: defaults resolve here, so the CLI works from any directory. */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export const DEFAULT_MODEL_FILE = 'model/severity-model.json';
export const DEFAULT_POLICY_FILE = 'policies/default.yaml';

/** A user-given path is relative to the working directory; a default one to the package. */
export function resolveConfiguredPath(given: string | undefined, fallback: string): string {
  return given ? resolve(given) : resolve(PACKAGE_ROOT, fallback);
}

/** A path from the configuration (POLICY_FILE, MODEL_FILE): relative to the working directory, unless it is still the default. */
export function configuredPath(given: string, fallback: string): string {
  return resolveConfiguredPath(given === fallback ? undefined : given, fallback);
}
