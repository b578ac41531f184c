-- Publishes the event of one agent report at most once (src/pipeline/action-report.ts):
-- the mark and the event go together, so a redelivered report is never announced twice.
-- KEYS[1] the report's progress hash, KEYS[2] events stream
-- ARGV[1] event type, ARGV[2] event JSON, ARGV[3] events MAXLEN, ARGV[4] progress TTL (s)
-- Returns the event's id when published now, 0 when it was published before.
if redis.call('HSETNX', KEYS[1], 'published', '1') == 0 then return 0 end
redis.call('EXPIRE', KEYS[1], ARGV[4])
return redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'type', ARGV[1], 'event', ARGV[2])
