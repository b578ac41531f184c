import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ChainableCommander, Redis } from 'ioredis';
import { PACKAGE_ROOT } from '../io/paths.js';

type Arg = string | number;

const SCRIPTS_DIR = resolve(PACKAGE_ROOT, 'src/redis/scripts');

/**
 * A Lua script from src/redis/scripts, run with EVALSHA, falling back to
 * EVAL when the server has not cached it (after a restart or SCRIPT FLUSH).
 *
 * Every script is read when this module is imported, at start-up: a file
 * opened on first use would fail with EMFILE under descriptor pressure
 * (many client connections), just when the pipeline is busiest.
 */
export class LuaScript {
  private static readonly all: ReadonlyMap<string, LuaScript> = new Map(
    readdirSync(SCRIPTS_DIR)
      .filter((file) => file.endsWith('.lua'))
      .map((file) => {
        const name = file.slice(0, -'.lua'.length);
        const source = readFileSync(resolve(SCRIPTS_DIR, file), 'utf8');
        return [name, new LuaScript(name, source, createHash('sha1').update(source).digest('hex'))];
      }),
  );

  private constructor(
    readonly name: string,
    readonly source: string,
    readonly sha: string,
  ) {}

  /** Async for its callers' sake; the script was read at start-up and an unknown name is a bug. */
  static load(name: string): Promise<LuaScript> {
    const script = LuaScript.all.get(name);
    return script ? Promise.resolve(script) : Promise.reject(new Error(`no Lua script ${name}.lua in ${SCRIPTS_DIR}`));
  }

  async run(redis: Redis, keys: readonly string[], args: readonly Arg[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!isNoScript(err)) throw err;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }

  /** For scripts that return binary strings, which must not go through UTF-8. */
  async runBuffer(redis: Redis, keys: readonly string[], args: readonly Arg[]): Promise<unknown> {
    try {
      return await redis.callBuffer('EVALSHA', this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!isNoScript(err)) throw err;
      return redis.callBuffer('EVAL', this.source, keys.length, ...keys, ...args);
    }
  }

  /** Makes EVALSHA in a pipeline safe; a flush in between shows up as a NOSCRIPT reply. */
  async preload(redis: Redis): Promise<void> {
    await redis.script('LOAD', this.source);
  }

  queue(pipeline: ChainableCommander, keys: readonly string[], args: readonly Arg[]): void {
    pipeline.evalsha(this.sha, keys.length, ...keys, ...args);
  }
}

export function isNoScript(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('NOSCRIPT');
}
