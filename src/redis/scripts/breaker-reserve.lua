-- Reserves breaker slots for a host's auto-heal (or an approved safe action)
-- before its job is enqueued, for src/pipeline/breakers.ts. Checking the
-- limits and taking the slots in one script is what makes them hold at every
-- instant, whatever the batching, worker concurrency or number of replicas:
-- two hosts can never both see the last free slot.
--
-- A slot is a member `host|job key` of the fleet zset, scored by the deadline
-- after which it no longer counts (a lost agent must not hold it for ever);
-- it is released earlier by ZREM when the job's result is reported or the
-- job is withdrawn. The host's auto-heals zset keeps `action|job key` by
-- start time for the per-host hourly limit (and the cooldowns).
--
-- An approved safe request is released the same way, fleet limit only, in
-- waves: with KEYS[3] and KEYS[4] it must still be waiting in the to-enqueue
-- set, and the approval is marked released with its slot, so that a repeat
-- (another replica, a restart before the enqueue) enqueues without taking a
-- second slot, and a late repeat after the run takes none at all.
--
-- KEYS[1] fleet slots zset   KEYS[2] the host's auto-heals zset
-- KEYS[3] (release only) approval hash   KEYS[4] (release only) to-enqueue set
-- ARGV[1] host   ARGV[2] now (ms)   ARGV[3] start of the hour (ms)   ARGV[4] start of the day (ms)
-- ARGV[5] max hosts healing fleet-wide   ARGV[6] max auto-heals per host per hour, 0 for no per-host limit
-- ARGV[7] n, then n triples: job key, action, deadline (ms)
--
-- Returns { code, hosts healing fleet-wide, this host's auto-heals in the hour }, counts
-- as they stand after a reservation and as they stood when refused. Codes:
--   1 reserved   2 already reserved (a retried batch: nothing taken twice)
--   0 nothing to release (the approval's job exists already)
--  -1 refused by the per-host limit   -2 refused by the fleet limit

local fleet, heals, host = KEYS[1], KEYS[2], ARGV[1]
local now, hour, day = tonumber(ARGV[2]), ARGV[3], ARGV[4]
local maxHosts, maxPerHost, n = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])

local approval, waiting = KEYS[3], KEYS[4]
if approval then
  if redis.call('SISMEMBER', waiting, ARGV[8]) == 0 then return { 0, 0, 0 } end
  if redis.call('HGET', approval, 'released') == '1' then return { 2, 0, 0 } end
end

redis.call('ZREMRANGEBYSCORE', fleet, '-inf', now)

local healing, self = {}, false
local count = 0
for _, member in ipairs(redis.call('ZRANGE', fleet, 0, -1)) do
  local h = string.match(member, '^([^|]*)|')
  if h == host then
    self = true
  elseif h and not healing[h] then
    healing[h] = true
    count = count + 1
  end
end
local inHour = maxPerHost > 0 and redis.call('ZCOUNT', heals, hour, '+inf') or 0
local mine = self and 1 or 0

local already = not approval
for i = 0, n - 1 do
  local key, action = ARGV[8 + 3 * i], ARGV[9 + 3 * i]
  local recorded = maxPerHost > 0 and redis.call('ZSCORE', heals, action .. '|' .. key)
    or redis.call('ZSCORE', fleet, host .. '|' .. key)
  if not recorded then already = false end
end
if already then return { 2, count + mine, inHour } end

if maxPerHost > 0 and inHour + n > maxPerHost then return { -1, count + mine, inHour } end
if not self and count >= maxHosts then return { -2, count, inHour } end

for i = 0, n - 1 do
  local key, action, deadline = ARGV[8 + 3 * i], ARGV[9 + 3 * i], ARGV[10 + 3 * i]
  redis.call('ZADD', fleet, deadline, host .. '|' .. key)
  if maxPerHost > 0 then redis.call('ZADD', heals, now, action .. '|' .. key) end
end
if maxPerHost > 0 then redis.call('ZREMRANGEBYSCORE', heals, '-inf', day) end
if approval then redis.call('HSET', approval, 'released', '1') end
return { 1, count + 1, inHour + (maxPerHost > 0 and n or 0) }
