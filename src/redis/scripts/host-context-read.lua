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
-- It also finds the open incidents whose announcement was cut short (see
-- incidents-change) and that this batch is to take over: its own, from an
-- earlier attempt of the same batch, or another batch's after the grace
-- period, by the server's clock.
--
-- KEYS[1] auto-heals in flight fleet-wide (zset of host|job key -> in flight until, ms)
-- KEYS[2..] per host, five keys: state hash, incidents hash, auto-heals zset, firewall requests list,
-- alert claims hash
-- ARGV[1] now (ms)   ARGV[2] start of the auto-heal window (ms)   ARGV[3] arrival number, 0 to read only
-- ARGV[4] key prefix of incident hashes   ARGV[5] grace (ms) before another batch takes an announcement over
--
-- Returns { in-flight members, then per host: incidents as a flat field/value list,
-- auto-heals as a flat member/score list, firewall requests, 1 when superseded else 0,
-- incidents to take over as a flat signal/id list, the state's `decided` progress or '',
-- alert claims as a flat fingerprint/claim list, the state's { signals, snapshot, updated_at } }.

local arrival = tonumber(ARGV[3])
local time = redis.call('TIME')
local stale = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000) - tonumber(ARGV[5])
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
  local incidents = redis.call('HGETALL', KEYS[i + 1])
  local takeover = {}
  if arrival > 0 then
    for j = 1, #incidents, 2 do
      local f = redis.call('HMGET', ARGV[4] .. incidents[j + 1], 'announced', 'opened_by', 'opened_ms')
      if f[1] == '0' and (f[2] == ARGV[3] or tonumber(f[3] or '0') < stale) then
        takeover[#takeover + 1] = incidents[j]
        takeover[#takeover + 1] = incidents[j + 1]
      end
    end
  end
  out[#out + 1] = incidents
  out[#out + 1] = redis.call('ZRANGEBYSCORE', KEYS[i + 2], ARGV[2], '+inf', 'WITHSCORES')
  out[#out + 1] = redis.call('LRANGE', KEYS[i + 3], 0, -1)
  out[#out + 1] = superseded
  out[#out + 1] = takeover
  out[#out + 1] = redis.call('HGET', KEYS[i], 'decided') or ''
  out[#out + 1] = redis.call('HGETALL', KEYS[i + 4])
  out[#out + 1] = redis.call('HMGET', KEYS[i], 'signals', 'snapshot', 'updated_at')
end
return out
