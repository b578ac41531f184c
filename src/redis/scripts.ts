import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/**
 * Every atomic transition healgate makes in Redis is a Lua script in
 * src/redis/scripts/. They are read once and registered on a connection as
 * commands (EVALSHA, falling back to EVAL after a server restart).
 */
export interface ScriptSpec {
  readonly name: string;
  readonly keys: number;
}

const cache = new Map<string, string>();

function source(name: string): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(new URL(`./scripts/${name}.lua`, import.meta.url), 'utf8');
    cache.set(name, text);
  }
  return text;
}

type ScriptReply = string | number | null | ScriptReply[];

export async function runScript(
  redis: Redis,
  spec: ScriptSpec,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<ScriptReply> {
  const command = `hg_${spec.name.replace(/-/g, '_')}`;
  const registry = redis as unknown as Record<
    string,
    ((...a: (string | number)[]) => Promise<ScriptReply>) | undefined
  >;
  if (!registry[command]) redis.defineCommand(command, { numberOfKeys: spec.keys, lua: source(spec.name) });
  return registry[command]!.call(redis, ...keys, ...args);
}
