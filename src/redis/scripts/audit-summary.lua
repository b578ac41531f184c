-- Reads one host's rollup records for src/audit/summary.ts in one round trip.
--
-- KEYS[1..] rollup buckets as (counters, host index) pairs   ARGV[1] host
--
-- Returns one string per bucket: the host's record, or '' when it has none
-- there. See audit-append.lua for the layout.

local RECORD_BYTES = 40 * 8

local out = {}
for pair = 0, #KEYS / 2 - 1 do
  local counters, index = KEYS[1 + 2 * pair], KEYS[2 + 2 * pair]
  local record = redis.call('HGET', index, ARGV[1])
  if record then
    local start = tonumber(record) * RECORD_BYTES
    out[pair + 1] = redis.call('GETRANGE', counters, start, start + RECORD_BYTES - 1)
  else
    out[pair + 1] = ''
  end
end
return out
