-- Compare-and-append one audit entry; see src/audit/append.ts.
--
-- KEYS[1] stream  KEYS[2] head  KEYS[3] skew  KEYS[4..] rollup buckets (hour, day)
-- ARGV[1] expected prev hash  ARGV[2] entry hash  ARGV[3] entry time (ms)
-- ARGV[4] canonical entry JSON  ARGV[5] host or ''
-- ARGV[6] counter increments "slot=amount,..." (0-based slots)
-- ARGV[7..] EXPIREAT (unix seconds) of each rollup bucket, in KEYS order
--
-- Returns {'ok', id} | {'conflict', current head} | {'head_missing', stream length}.
-- Nothing is written unless the answer is 'ok'.

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

local ahead = tonumber(string.match(id, '^(%d+)')) - at
if ahead > 0 and ahead > tonumber(redis.call('GET', KEYS[3]) or '0') then
  redis.call('SET', KEYS[3], string.format('%d', ahead))
end

-- Counters are packed as little-endian doubles, one string per host and bucket:
-- a summary then reads one field per host whatever the number of entries.
local deltas = {}
local width = 0
for slot, amount in string.gmatch(ARGV[6], '(%d+)=(%d+)') do
  slot = tonumber(slot) + 1
  deltas[slot] = tonumber(amount)
  if slot > width then width = slot end
end
local fields = {'*'}
if ARGV[5] ~= '' then fields[2] = ARGV[5] end

local formats = {}
local function doubles(n)
  formats[n] = formats[n] or ('<' .. string.rep('d', n))
  return formats[n]
end

for k = 4, #KEYS do
  for _, field in ipairs(fields) do
    local stored = redis.call('HGET', KEYS[k], field)
    local values = {}
    local have = 0
    if stored then
      have = math.floor(#stored / 8)
      -- unpack also returns the next read position, after the values.
      if have > 0 then values = {struct.unpack(doubles(have), stored)} end
    end
    local n = math.max(width, have)
    for slot = 1, n do
      values[slot] = (slot <= have and values[slot] or 0) + (deltas[slot] or 0)
    end
    redis.call('HSET', KEYS[k], field, struct.pack(doubles(n), unpack(values, 1, n)))
    -- '*' is written first in every bucket, so without it the bucket is new.
    if not stored and field == '*' then redis.call('EXPIREAT', KEYS[k], ARGV[7 + k - 4]) end
  end
end

return {'ok', id}
