-- Whether an ingest batch counts: its producer commits it once its job is
-- written, its consumer settles it before deciding. The first of the two to
-- find Redis's clock past the batch's deadline refuses it for good, so a job
-- written late (Redis frozen, or ioredis replaying after a reconnect) is
-- never decided, and one the producer answered 202 for always is.
--
-- KEYS[1] the batch's commit mark
-- ARGV[1] deadline, ms on Redis's clock
-- ARGV[2] 'commit' (the producer) or 'settle' (the consumer)
-- ARGV[3] how long the mark is kept, seconds
-- Returns 1 accepted, 0 refused, -1 not decided yet (settle before the deadline)
local mark = redis.call('GET', KEYS[1])
if mark == 'accepted' then return 1 end
if mark == 'refused' then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now > tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], 'refused', 'EX', ARGV[3])
  return 0
end
if ARGV[2] == 'settle' then return -1 end
redis.call('SET', KEYS[1], 'accepted', 'EX', ARGV[3])
return 1
