-- Puts an incident (or a request without one) into its storm's group, for
-- src/groups/book.ts: the group of its kind that is still open, else a new
-- one that stays open for the grouping interval. A member that joined before
-- (a redelivered batch of events) stays where it is, as it is.
-- KEYS[1] the kind's open group pointer
-- ARGV[1] key prefix of groups (`healgate:group:`)   ARGV[2] id for a new group   ARGV[3] grouping interval (ms)
-- ARGV[4] the group's description (JSON), kept from its first member   ARGV[5] member key   ARGV[6] member (JSON)
-- ARGV[7] how long a group is kept (s)   ARGV[8..] subjects (incident and approval ids) that name the member
-- Returns { group id, members in it }.
local prefix, ttl = ARGV[1], ARGV[7]
local where = redis.call('GET', prefix .. 'of:' .. ARGV[5])
local id
if where then
  id = string.match(where, '^(%S+)')
else
  id = redis.call('GET', KEYS[1])
  if not id then
    id = ARGV[2]
    redis.call('SET', KEYS[1], id, 'PX', ARGV[3])
    redis.call('SET', prefix .. id, ARGV[4], 'EX', ttl)
  end
end
local members = prefix .. id .. ':members'
redis.call('HSETNX', members, ARGV[5], ARGV[6])
redis.call('EXPIRE', members, ttl)
for i = 8, #ARGV do
  redis.call('SET', prefix .. 'of:' .. ARGV[i], id .. ' ' .. ARGV[5], 'EX', ttl)
end
redis.call('SET', prefix .. 'of:' .. ARGV[5], id .. ' ' .. ARGV[5], 'EX', ttl)
return { id, redis.call('HLEN', members) }
