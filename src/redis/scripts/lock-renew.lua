-- Takes or keeps a lease: succeeds when the lock is free or already ours.
-- KEYS[1] lock, ARGV[1] owner, ARGV[2] lease (ms). Returns 1 when we hold it.
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
