-- Stores a firewall change request once per idempotency key, and only before
-- the request's deadline: a command Redis runs late (frozen, or replayed by
-- ioredis after a reconnect) stores nothing, so a 503 stays true.
--
-- KEYS[1] the idempotency key's record (hash: fingerprint, request)
-- KEYS[2] the host's pending firewall requests (list)
-- ARGV[1] deadline, ms on Redis's clock
-- ARGV[2] the request (JSON)
-- ARGV[3] fingerprint of the request's content
-- ARGV[4] how long the key is remembered, seconds
-- Returns {'stored', request} | {'duplicate', first request} | {'conflict', first request} | {'late'}
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now > tonumber(ARGV[1]) then return {'late'} end
local seen = redis.call('HMGET', KEYS[1], 'fingerprint', 'request')
if seen[1] then
  if seen[1] == ARGV[3] then return {'duplicate', seen[2]} end
  return {'conflict', seen[2]}
end
redis.call('RPUSH', KEYS[2], ARGV[2])
redis.call('HSET', KEYS[1], 'fingerprint', ARGV[3], 'request', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return {'stored', ARGV[2]}
