import { readFileSync } from 'node:fs';

/** Variables that may instead name a file holding the value (`INGEST_TOKEN_FILE=/run/secrets/ingest_token`). */
export const FILE_VARIABLES = [
  'REDIS_URL',
  'INGEST_TOKEN',
  'CONSOLE_TOKEN',
  'SLACK_BOT_TOKEN',
  'SLACK_SIGNING_SECRET',
  'SLACK_APP_TOKEN',
  'DISCORD_TOKEN',
] as const;

/**
 * Reads each `<NAME>_FILE` into `<NAME>`, as docker and compose secrets
 * expect, so that secrets need not sit in the environment. One trailing
 * newline is dropped (editors add it); a variable set both ways is refused
 * rather than one silently winning.
 */
export function readSecretFiles(
  env: NodeJS.ProcessEnv,
  read: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): { env: NodeJS.ProcessEnv; errors: string[] } {
  const out: NodeJS.ProcessEnv = { ...env };
  const errors: string[] = [];
  for (const name of FILE_VARIABLES) {
    const path = env[`${name}_FILE`];
    if (path === undefined || path === '') continue;
    if (env[name] !== undefined && env[name] !== '') {
      errors.push(`${name}_FILE: ${name} is set too; keep one`);
      continue;
    }
    try {
      out[name] = read(path).replace(/\r?\n$/, '');
    } catch (err) {
      errors.push(`${name}_FILE: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  }
  return { env: out, errors };
}
