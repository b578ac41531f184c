-- Writes an event at most once, marked by a field of a hash: the mark and the
-- event go together, so a step that is redone (a redelivered report, a
-- retried batch, another replica) never announces or audits it twice.
-- KEYS[1] the hash that holds the mark, KEYS[2] events stream
-- ARGV[1] the mark's field, ARGV[2] TTL of the hash when marked now (s, 0 to leave it)
-- ARGV[3] event type, ARGV[4] event JSON, ARGV[5] events MAXLEN (approx.)
-- Returns the event's id when written now, 0 when it was written before.
if redis.call('HSETNX', KEYS[1], ARGV[1], '1') == 0 then return 0 end
if tonumber(ARGV[2]) > 0 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', 'type', ARGV[3], 'event', ARGV[4])
