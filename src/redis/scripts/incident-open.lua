-- Opens an incident for (host, signal) unless one is already open.
-- KEYS[1] host incidents hash (signal -> id), KEYS[2] the new incident's hash
-- ARGV[1] signal, ARGV[2] new id, ARGV[3..] field/value pairs of the record
-- Returns {id, 1} when opened now, {existing id, 0} when it was already open.
local existing = redis.call('HGET', KEYS[1], ARGV[1])
if existing then
  return {existing, 0}
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local record = {}
for i = 3, #ARGV do record[#record + 1] = ARGV[i] end
redis.call('HSET', KEYS[2], unpack(record))
return {ARGV[2], 1}
