import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ChainableCommander, Redis } from 'ioredis';
import { PACKAGE_ROOT } from '../io/paths.js';

type Arg = string | number;

/**
 * A Lua script from src/redis/scripts, read from disk once per process and
 * run with EVALSHA, falling back to EVAL when the server has not cached it
 * (after a restart or SCRIPT FLUSH).
 */
export class LuaScript {
  private static readonly loaded = new Map<string, Promise<LuaScript>>();

  private constructor(
    readonly name: string,
    readonly source: string,
    readonly sha: string,
  ) {}

  static load(name: string): Promise<LuaScript> {
    let script = LuaScript.loaded.get(name);
    if (!script) {
      script = readFile(resolve(PACKAGE_ROOT, 'src/redis/scripts', `${name}.lua`), 'utf8').then(
        (source) => new LuaScript(name, source, createHash('sha1').update(source).digest('hex')),
      );
      // A failed read is not cached, so a fixed deployment does not need a restart.
      script.catch(() => LuaScript.loaded.delete(name));
      LuaScript.loaded.set(name, script);
    }
    return script;
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
