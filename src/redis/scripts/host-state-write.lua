-- Writes a batch's new host state for src/pipeline/host-state.ts in one call:
-- per host its latest snapshot and decision (unless a later batch has
-- claimed the host: see host-context-read), its trend points and its
-- last-seen time (never moved back by a replica whose clock is behind);
-- then the decision counters.
--
-- Trend points are a zset scored by arrival, so a batch decided late still
-- lands in its place; a replayed batch replaces its own points first. The
-- day's trend keeps the latest point of each time bucket, scored by bucket.
--
-- KEYS[1] hosts zset (host -> last seen ms)   KEYS[2] stats hash
-- KEYS[3..] per host, three keys: state hash, trend zset, day zset
-- ARGV[1] trend length   ARGV[2] number of hosts   ARGV[3] arrival number
-- ARGV[4] lowest and ARGV[5] highest score of this batch's points
-- ARGV[6] day bucket (ms)   ARGV[7] day buckets kept
-- then per host: host, snapshot JSON, decision JSON, updated at (ms), signals JSON or '', n points,
-- n score/member pairs
-- then counter field / increment pairs to the end.

local keep = tonumber(ARGV[1])
local arrival = tonumber(ARGV[3])
local bucketMs, buckets = tonumber(ARGV[6]), tonumber(ARGV[7])
local a = 8
for h = 0, tonumber(ARGV[2]) - 1 do
  local state, trend, day = KEYS[3 + 3 * h], KEYS[4 + 3 * h], KEYS[5 + 3 * h]
  local host, snapshot, decision, at = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]
  local signals, n = ARGV[a + 4], tonumber(ARGV[a + 5])
  local claimed = tonumber(redis.call('HGET', state, 'arrival') or '0')
  if claimed <= arrival then
    redis.call('HSET', state, 'snapshot', snapshot, 'decision', decision, 'updated_at', at)
    if signals ~= '' then redis.call('HSET', state, 'signals', signals) end
  end
  redis.call('ZREMRANGEBYSCORE', trend, ARGV[4], ARGV[5])
  redis.call('ZADD', trend, unpack(ARGV, a + 6, a + 5 + 2 * n))
  redis.call('ZREMRANGEBYRANK', trend, 0, -keep - 1)
  if n > 0 then
    local last = ARGV[a + 5 + 2 * n]
    local bucket = math.floor(tonumber(at) / bucketMs)
    redis.call('ZREMRANGEBYSCORE', day, bucket, bucket)
    local colon = string.find(last, ':', 1, true)
    redis.call('ZADD', day, bucket, bucket .. string.sub(last, colon))
    redis.call('ZREMRANGEBYSCORE', day, '-inf', bucket - buckets)
  end
  redis.call('ZADD', KEYS[1], 'GT', at, host)
  a = a + 6 + 2 * n
end
for i = a, #ARGV, 2 do
  redis.call('HINCRBY', KEYS[2], ARGV[i], ARGV[i + 1])
end
return a
