-- Reads audit rollup buckets for src/audit/summary.ts in one round trip.
--
-- KEYS[1..] rollup buckets   ARGV[1] host, or '' for every field
--
-- Returns one string per bucket, the concatenation for each field of:
-- its name, a NUL byte, one byte n, then n little-endian doubles.
-- Packing here saves the client parsing two replies per host and bucket,
-- which at a few microseconds each would otherwise dominate a summary.

local function append(parts, name, value)
  local n = math.min(math.floor(#value / 8), 255)
  parts[#parts + 1] = name
  parts[#parts + 1] = '\0'
  parts[#parts + 1] = string.char(n)
  parts[#parts + 1] = (#value == n * 8) and value or string.sub(value, 1, n * 8)
end

local out = {}
for k = 1, #KEYS do
  local parts = {}
  if ARGV[1] ~= '' then
    local value = redis.call('HGET', KEYS[k], ARGV[1])
    if value then append(parts, ARGV[1], value) end
  else
    local flat = redis.call('HGETALL', KEYS[k])
    for i = 1, #flat, 2 do append(parts, flat[i], flat[i + 1]) end
  end
  out[k] = table.concat(parts)
end
return out
