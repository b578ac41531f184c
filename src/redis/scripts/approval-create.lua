-- Creates an approval request for src/approvals/service.ts in one step: the
-- record, its place in the pending index (by expiry: the bots' sweep expires
-- it from there, whether or not its delayed expiry job survived) and its
-- `approval.requested` event (which chat shows and the audit records). A
-- crash can leave none of it or all of it, never a record that is pending
-- with nothing to announce, audit or expire it.
-- The id derives from what the request is for, so a retried evaluation finds
-- the request it made instead of asking twice.
-- KEYS[1] approval hash   KEYS[2] pending index (zset by expiry ms)   KEYS[3] events stream
-- ARGV[1] id   ARGV[2] expires at (ms)   ARGV[3] event JSON   ARGV[4] events kept (approx.)
-- ARGV[5..] the record's fields as field/value pairs
-- Returns 1 when created now, 0 when the request exists already.
if redis.call('HSETNX', KEYS[1], 'id', ARGV[1]) == 0 and redis.call('HEXISTS', KEYS[1], 'status') == 1 then
  return 0
end
redis.call('HSET', KEYS[1], unpack(ARGV, 5))
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*', 'type', 'approval.requested', 'event', ARGV[3])
return 1
