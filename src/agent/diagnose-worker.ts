import type { Redis } from 'ioredis';
import { z } from 'zod';
import { keys } from '../redis/keys.js';
import type { Collector } from './collector.js';

export const diagnoseRequestSchema = z.strictObject({
  request_id: z.string().regex(/^[0-9a-f-]{36}$/),
  asked_at: z.number().int().min(0),
});
export type DiagnoseRequest = z.infer<typeof diagnoseRequestSchema>;

/** A request nobody waits for any more (the agent was busy or down) is not worth measuring for. */
const STALE_MS = 30_000;
const REPLY_TTL_S = 60;

/** Measures now and hands the snapshot to whoever asked (the bot waits on the reply key). */
export async function answerDiagnose(
  redis: Redis,
  host: string,
  collector: Collector,
  data: unknown,
  now: () => Date,
): Promise<boolean> {
  const request = diagnoseRequestSchema.parse(data);
  if (now().getTime() - request.asked_at > STALE_MS) return false;
  const snapshot = await collector.snapshot();
  const reply = keys.diagnoseReply(host, request.request_id);
  await redis
    .multi()
    .lpush(reply, JSON.stringify({ snapshot, at: now().getTime() }))
    .expire(reply, REPLY_TTL_S)
    .exec();
  return true;
}
