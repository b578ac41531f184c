import type { Redis } from 'ioredis';
import { keys } from '../redis/keys.js';
import type { HealgateEvent } from './types.js';

/** Roughly how many events the stream keeps for late readers (the console's backlog). */
export const MAX_EVENTS = 10_000;

export class EventLog {
  constructor(private readonly redis: Redis) {}

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
