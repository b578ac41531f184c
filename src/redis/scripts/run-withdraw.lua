-- Withdraws an action job that no agent has taken by its deadline, for
-- src/pipeline/pickup.ts. The job's run record is what an agent claims before
-- running anything (run-claim.lua), so claiming it here first settles the
-- race: either the agent runs the job, or the bot withdraws it, never both.
-- Winning also gives back the job's breaker slot and writes the event, in
-- the same step, so a withdrawal cannot be left unannounced.
-- KEYS[1] run hash   KEYS[2] fleet slots zset   KEYS[3] events stream
-- ARGV[1] slot member   ARGV[2] TTL of the run record (s)   ARGV[3] event JSON   ARGV[4] events kept (approx.)
-- Returns 1 when withdrawn now, 2 when an earlier attempt withdrew it, 0 when an agent took it.
if redis.call('HSETNX', KEYS[1], 'state', 'withdrawn') == 0 then
  if redis.call('HGET', KEYS[1], 'state') == 'withdrawn' then return 2 end
  return 0
end
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*', 'type', 'action.withdrawn', 'event', ARGV[3])
return 1
