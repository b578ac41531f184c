import type { Redis } from 'ioredis';
import type { ActionResultEvent, HealgateEvent } from '../../src/events/types.js';
import { keys } from '../../src/redis/keys.js';

/** Every event published so far, oldest first. */
export async function allEvents(redis: Redis): Promise<HealgateEvent[]> {
  const entries = await redis.xrange(keys.events, '-', '+');
  return entries.map(([, fields]) => JSON.parse(fields[fields.indexOf('event') + 1]!) as HealgateEvent);
}

export async function actionResults(redis: Redis, jobId: string): Promise<ActionResultEvent[]> {
  return (await allEvents(redis)).filter(
    (e): e is ActionResultEvent => e.type === 'action.result' && e.job_id === jobId,
  );
}

/** Polls for the first action.result of a job (for `eventually`). */
export async function resultOf(redis: Redis, jobId: string): Promise<ActionResultEvent | undefined> {
  return (await actionResults(redis, jobId))[0];
}
