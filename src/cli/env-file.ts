import { existsSync } from 'node:fs';
import { UsageError } from './errors.js';

/**
 * Loads `.env` from the working directory when there is one, as docker
 * compose and `.env.example` suggest; variables already in the environment
 * win. `process.loadEnvFile` came with Node 20.12: on an older Node a present
 * file is refused with the reason rather than silently ignored.
 */
export function loadEnvFile(path = '.env'): 'loaded' | 'absent' {
  if (!existsSync(path)) return 'absent';
  if (typeof process.loadEnvFile !== 'function')
    throw new UsageError(
      `${path} is present but this Node (${process.version}) cannot read it: use Node 20.12 or newer`,
    );
  process.loadEnvFile(path);
  return 'loaded';
}
