-- Writes a batch's new host state for src/pipeline/host-state.ts in one call:
-- per host its latest snapshot and decision, its history points (newest
-- last, trimmed to the history length) and its last-seen time; then the
-- decision counters.
--
-- KEYS[1] hosts zset (host -> last seen ms)   KEYS[2] stats hash
-- KEYS[3..] per host, two keys: state hash, history list
-- ARGV[1] history length   ARGV[2] number of hosts
-- then per host: host, snapshot JSON, decision JSON, updated at (ms), n points, n point JSONs
-- then counter field / increment pairs to the end.

local keep = tonumber(ARGV[1]) - 1
local a = 3
for h = 0, tonumber(ARGV[2]) - 1 do
  local state, history = KEYS[3 + 2 * h], KEYS[4 + 2 * h]
  local host, snapshot, decision, at, n = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], tonumber(ARGV[a + 4])
  redis.call('HSET', state, 'snapshot', snapshot, 'decision', decision, 'updated_at', at)
  redis.call('LPUSH', history, unpack(ARGV, a + 5, a + 4 + n))
  redis.call('LTRIM', history, 0, keep)
  redis.call('ZADD', KEYS[1], at, host)
  a = a + 5 + n
end
for i = a, #ARGV, 2 do
  redis.call('HINCRBY', KEYS[2], ARGV[i], ARGV[i + 1])
end
return a
