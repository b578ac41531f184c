import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The nearest folder above this file with a package.json: the checkout or
 * installed package, both when running from src/ and from the build in
 * dist/src/. Defaults and the files read at run time (Lua scripts, the
 * console's page) resolve here, so the CLI works from any directory.
 */
function findPackageRoot(from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  throw new Error(`healgate: no package.json above ${from}`);
}

export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

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
