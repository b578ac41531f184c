-- Reads what the decision needs about a batch of hosts, for
-- src/pipeline/host-state.ts, in one call: a batch costs one command however
-- many hosts it holds.
--
-- With an arrival number, the batch also claims each host: batches are
-- numbered in the order they arrived, and a host already claimed by a later
-- batch is superseded for this one (its snapshots are older than ones being
-- decided elsewhere). Claiming in the same call as reading is what lets
-- incidents-change refuse a superseded batch safely: any change it lets
-- through happened before the later batch read this host.
--
-- KEYS[1] auto-heals in flight fleet-wide (zset of host|job key -> in flight until, ms)
-- KEYS[2..] per host, five keys: state hash, incidents hash, auto-heals zset, firewall requests list,
-- alert claims hash
-- ARGV[1] now (ms)   ARGV[2] start of the auto-heal window (ms)   ARGV[3] arrival number, 0 to read only
-- ARGV[4] key prefix of incident hashes
--
-- An auto-heal counts (for cooldowns) once its incident exists: a batch takes
-- its breaker slots just before it opens the incidents, and one seen in
-- between belongs to a batch that this read supersedes (it will open nothing
-- and give its slots back) or that was killed there.
--
-- Returns { in-flight members, then per host: incidents as a flat field/value list,
-- auto-heals as a flat member/score list, firewall requests, 1 when superseded else 0,
-- the state's `decided` progress or '', alert claims as a flat fingerprint/claim list,
-- the state's { signals, snapshot, updated_at } }.

local arrival = tonumber(ARGV[3])
local out = { redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], '+inf') }
for i = 2, #KEYS, 5 do
  local superseded = 0
  if arrival > 0 then
    local claimed = tonumber(redis.call('HGET', KEYS[i], 'arrival') or '0')
    if claimed > arrival then
      superseded = 1
    elseif claimed < arrival then
      redis.call('HSET', KEYS[i], 'arrival', ARGV[3])
    end
  end
  out[#out + 1] = redis.call('HGETALL', KEYS[i + 1])
  local heals = {}
  local recent = redis.call('ZRANGEBYSCORE', KEYS[i + 2], ARGV[2], '+inf', 'WITHSCORES')
  for j = 1, #recent, 2 do
    local incident = string.match(recent[j], '|([^.|]+)%.')
    if not incident or redis.call('EXISTS', ARGV[4] .. incident) == 1 then
      heals[#heals + 1] = recent[j]
      heals[#heals + 1] = recent[j + 1]
    end
  end
  out[#out + 1] = heals
  out[#out + 1] = redis.call('LRANGE', KEYS[i + 3], 0, -1)
  out[#out + 1] = superseded
  out[#out + 1] = redis.call('HGET', KEYS[i], 'decided') or ''
  out[#out + 1] = redis.call('HGETALL', KEYS[i + 4])
  out[#out + 1] = redis.call('HMGET', KEYS[i], 'signals', 'snapshot', 'updated_at')
end
return out
