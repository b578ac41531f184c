-- pending -> approved | rejected | expired, exactly once. Whatever arrives
-- first wins; every later attempt gets the winner back and changes nothing.
-- An approve or reject that arrives after expires_at turns into the expiry.
-- An approval also lands in the to-enqueue set until its action job exists,
-- so a crash between this script and the enqueue is repaired at start-up.
-- The winner's `approval.decided` event is written in the same step, so a
-- decision can never be left unannounced.
-- The audit records the decision from that event (src/audit/recorder.ts).
-- KEYS[1] approval hash, KEYS[2] pending set, KEYS[3] to-enqueue set, KEYS[4] events stream
-- ARGV[1] wanted status, ARGV[2] decided_by (JSON), ARGV[3] notes,
-- ARGV[4] now (ms), ARGV[5] now (ISO), ARGV[6] the event if `wanted` wins (JSON),
-- ARGV[7] the event if it turns into the expiry (JSON), ARGV[8] events kept (approx.)
-- Returns {won (1|0), status, decided_by, notes, decided_at}
local status = redis.call('HGET', KEYS[1], 'status')
if not status then
  return {0, 'missing', '', '', ''}
end
if status ~= 'pending' then
  local d = redis.call('HMGET', KEYS[1], 'decided_by', 'notes', 'decided_at')
  return {0, status, d[1] or '', d[2] or '', d[3] or ''}
end
local wanted = ARGV[1]
local by = ARGV[2]
local notes = ARGV[3]
local event = ARGV[6]
local expires = tonumber(redis.call('HGET', KEYS[1], 'expires_ms'))
if wanted ~= 'expired' and expires and tonumber(ARGV[4]) >= expires then
  wanted = 'expired'
  by = ''
  notes = ''
  event = ARGV[7]
end
redis.call('HSET', KEYS[1], 'status', wanted, 'decided_by', by, 'notes', notes, 'decided_at', ARGV[5])
local id = redis.call('HGET', KEYS[1], 'id')
redis.call('ZREM', KEYS[2], id)
if wanted == 'approved' then
  redis.call('SADD', KEYS[3], id)
end
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[8], '*', 'type', 'approval.decided', 'event', event)
return {1, wanted, by, notes, ARGV[5]}
