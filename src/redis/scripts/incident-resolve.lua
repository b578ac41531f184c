-- Resolves the open incident of (host, signal), once: a second resolver
-- (another replica, a replayed batch) gets nil and announces nothing.
-- KEYS[1] host incidents hash, ARGV[1] signal, ARGV[2] resolved_at (ISO),
-- ARGV[3] the value that resolved it, ARGV[4] key prefix of incident hashes
-- Returns the incident id, or nil when none was open.
local id = redis.call('HGET', KEYS[1], ARGV[1])
if not id then
  return nil
end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HSET', ARGV[4] .. id, 'status', 'resolved', 'resolved_at', ARGV[2], 'resolved_value', ARGV[3])
return id
