-- Reads what the decision needs about a batch of hosts, for
-- src/pipeline/host-state.ts, in one call: a batch costs one command however
-- many hosts it holds.
--
-- KEYS[1] auto-heals in flight fleet-wide (zset of host|job key -> in flight until, ms)
-- KEYS[2..] per host, three keys: incidents hash, auto-heals zset, firewall requests list
-- ARGV[1] now (ms)   ARGV[2] start of the auto-heal window (ms)
--
-- Returns { in-flight members, then per host: incidents as a flat field/value list,
-- auto-heals as a flat member/score list, firewall requests }.

local out = { redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], '+inf') }
for i = 2, #KEYS, 3 do
  out[#out + 1] = redis.call('HGETALL', KEYS[i])
  out[#out + 1] = redis.call('ZRANGEBYSCORE', KEYS[i + 1], ARGV[2], '+inf', 'WITHSCORES')
  out[#out + 1] = redis.call('LRANGE', KEYS[i + 2], 0, -1)
end
return out
