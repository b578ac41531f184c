import type { Redis } from 'ioredis';
import { keys } from '../redis/keys.js';
import { LuaScript } from '../redis/lua.js';
import type { HealgateEvent } from './types.js';

/**
 * Roughly how many events the stream keeps. Its readers (the audit above
 * all) are seconds behind at most; this is how far one may fall behind,
 * Redis down or the audit refusing appends, before events are trimmed
 * unread.
 */
export const MAX_EVENTS = 50_000;

/** Where a once-only event is marked: a field of a hash, which expires `ttlS` after marking (0: never set). */
export interface OnceMark {
  readonly key: string;
  readonly field: string;
  readonly ttlS: number;
}

export class EventLog {
  constructor(private readonly redis: Redis) {}

  /**
   * For what is not itself a state change (a storm group redrawn): a state
   * change writes its event in its own script, or through `publishOnce`.
   */
  async publish(event: HealgateEvent): Promise<string> {
    const id = await this.redis.xadd(
      keys.events,
      'MAXLEN',
      '~',
      MAX_EVENTS,
      '*',
      'type',
      event.type,
      'event',
      JSON.stringify(event),
    );
    return id ?? '';
  }

  /**
   * The event, unless `mark` says it was written before; the mark and the
   * event are one step (event-once.lua), so a step redone after a crash
   * announces and audits nothing twice. True when written now.
   */
  async publishOnce(mark: OnceMark, event: HealgateEvent): Promise<boolean> {
    const script = await LuaScript.load('event-once');
    const reply = await script.run(
      this.redis,
      [mark.key, keys.events],
      [mark.field, mark.ttlS, event.type, JSON.stringify(event), MAX_EVENTS],
    );
    return reply !== 0;
  }
}

/** The event a stream entry holds, as `publish` wrote it; undefined for an entry that holds none or is not JSON. */
export function eventOf(fields: readonly string[]): HealgateEvent | undefined {
  const i = fields.indexOf('event');
  const raw = i >= 0 ? fields[i + 1] : undefined;
  try {
    return raw ? (JSON.parse(raw) as HealgateEvent) : undefined;
  } catch {
    return undefined;
  }
}
