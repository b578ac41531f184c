-- Claims an action's idempotency key for src/agent/runs.ts before anything
-- runs: the first delivery wins, with its instance, start time and a place in
-- the host's active runs (where a restarted agent looks for orphans), all at
-- once, so a crash cannot leave a claim that no one would find.
-- KEYS[1] run hash, KEYS[2] the host's active runs set
-- ARGV[1] idempotency key, ARGV[2] instance, ARGV[3] started at (ms), ARGV[4] host, ARGV[5] TTL (s)
-- Returns 1 when claimed now, else the run's fields as a flat list.
if redis.call('HSETNX', KEYS[1], 'state', 'running') == 0 then
  return redis.call('HGETALL', KEYS[1])
end
redis.call('HSET', KEYS[1], 'instance', ARGV[2], 'started_at', ARGV[3], 'host', ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('SADD', KEYS[2], ARGV[1])
return 1
