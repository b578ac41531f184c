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

local deltas = {}
for slot, amount in string.gmatch(ARGV[6], '(%d+)=(%d+)') do
  deltas[tonumber(slot) + 1] = tonumber(amount)
end
local fields = {'*'}
if ARGV[5] ~= '' then fields[2] = ARGV[5] end

for k = 4, #KEYS do
  for _, field in ipairs(fields) do
    local values = {}
    local stored = redis.call('HGET', KEYS[k], field)
    if stored then
      for n in string.gmatch(stored, '[^,]+') do values[#values + 1] = tonumber(n) end
    end
    local width = #values
    for slot in pairs(deltas) do
      if slot > width then width = slot end
    end
    local packed = {}
    for slot = 1, width do
      packed[slot] = string.format('%d', (values[slot] or 0) + (deltas[slot] or 0))
    end
    redis.call('HSET', KEYS[k], field, table.concat(packed, ','))
  end
  redis.call('EXPIREAT', KEYS[k], ARGV[7 + k - 4])
end

return {'ok', id}
