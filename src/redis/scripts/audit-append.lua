-- Compare-and-append one audit entry; see src/audit/append.ts.
--
-- KEYS[1] stream  KEYS[2] head  KEYS[3] skew
-- KEYS[4] the marks of the event the entry comes from (hash; unused when ARGV[7] is '')
-- KEYS[5..] rollup buckets as (counters, host index) pairs: the hour's, then the day's
-- ARGV[1] expected prev hash  ARGV[2] entry hash  ARGV[3] entry time (ms)
-- ARGV[4] canonical entry JSON  ARGV[5] host or ''
-- ARGV[6] counter increments "slot=amount,..." (0-based slots)
-- ARGV[7] the entry's mark in KEYS[4] (its place among the event's entries), or ''
-- ARGV[8] TTL of the marks (s)
-- ARGV[9..] EXPIREAT (unix seconds) of each bucket pair, in KEYS order
--
-- Returns {'ok', id} | {'conflict', current head} | {'head_missing', stream length}
-- | {'recorded', id}: an entry with that mark was appended before, by this
-- replica before a crash or by another, so an event redelivered to the audit
-- recorder is never appended twice. Nothing is written unless the answer is 'ok'.

if ARGV[7] ~= '' then
  local recorded = redis.call('HGET', KEYS[4], ARGV[7])
  if recorded then return {'recorded', recorded} end
end

local head = redis.call('GET', KEYS[2])
if not head then
  local length = redis.call('XLEN', KEYS[1])
  -- Starting a fresh chain over existing entries would hide whatever removed the head.
  if length > 0 then return {'head_missing', tostring(length)} end
  head = string.rep('0', 64)
end
if head ~= ARGV[1] then return {'conflict', head} end

-- The id follows the entry's own time so that time ranges map onto id ranges;
-- when that time is not after the newest id, it goes just after it instead.
local at = tonumber(ARGV[3])
local id = redis.pcall('XADD', KEYS[1], ARGV[3] .. '-*', 'e', ARGV[4], 'prev', ARGV[1], 'hash', ARGV[2])
if type(id) == 'table' and id.err then
  local info = redis.call('XINFO', 'STREAM', KEYS[1])
  local last
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then last = info[i + 1] end
  end
  id = redis.call('XADD', KEYS[1], string.match(last, '^(%d+)') .. '-*', 'e', ARGV[4], 'prev', ARGV[1], 'hash', ARGV[2])
end
redis.call('SET', KEYS[2], ARGV[2])
if ARGV[7] ~= '' then
  redis.call('HSET', KEYS[4], ARGV[7], id)
  redis.call('EXPIRE', KEYS[4], ARGV[8])
end

local ahead = tonumber(string.match(id, '^(%d+)')) - at
if ahead > 0 and ahead > tonumber(redis.call('GET', KEYS[3]) or '0') then
  redis.call('SET', KEYS[3], string.format('%d', ahead))
end

-- A bucket's counters are one string of fixed-size records, one per host plus
-- '*' for the whole fleet: a 64-byte NUL-padded name, then 32 signed 64-bit
-- counters that BITFIELD increments in place. A summary reads one string per
-- bucket however many hosts it holds; the index hash maps a name to its record.
local UNITS = 40 -- 64-bit units per record: 8 for the name, 32 counters
local EMPTY_COUNTERS = string.rep('\0', (UNITS - 8) * 8)

local increments = {}
for slot, amount in string.gmatch(ARGV[6], '(%d+)=(%d+)') do
  increments[#increments + 1] = {tonumber(slot), amount}
end
local host = ARGV[5]

for pair = 0, (#KEYS - 4) / 2 - 1 do
  local counters, index, expire_at = KEYS[5 + 2 * pair], KEYS[6 + 2 * pair], ARGV[9 + pair]
  local names = {'*'}
  if host ~= '' then names[2] = host end
  local found = redis.call('HMGET', index, unpack(names))
  local ops = {}
  -- '*' comes first in every bucket, so its absence means a new one.
  local new_bucket = not found[1]
  for i, name in ipairs(names) do
    local record = found[i]
    if record then
      record = tonumber(record)
    else
      record = math.ceil(redis.call('STRLEN', counters) / (UNITS * 8))
      redis.call('SETRANGE', counters, record * UNITS * 8, name .. string.rep('\0', 64 - #name) .. EMPTY_COUNTERS)
      redis.call('HSET', index, name, record)
    end
    for _, inc in ipairs(increments) do
      ops[#ops + 1] = 'INCRBY'
      ops[#ops + 1] = 'i64'
      ops[#ops + 1] = '#' .. (record * UNITS + 8 + inc[1])
      ops[#ops + 1] = inc[2]
    end
  end
  redis.call('BITFIELD', counters, unpack(ops))
  -- Last, so that a bucket already past its retention is dropped whole.
  if new_bucket then
    redis.call('EXPIREAT', counters, expire_at)
    redis.call('EXPIREAT', index, expire_at)
  end
end

return {'ok', id}
