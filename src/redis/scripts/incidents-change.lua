-- Opens and resolves a host's incidents for one snapshot, all or nothing:
-- one open incident per (host, signal), and each resolved once (a second
-- resolver, another replica or a replayed batch, resolves nothing).
--
-- A deciding batch passes its arrival number; if a later batch has claimed
-- the host (see host-context-read) nothing changes. Being one call is what
-- makes that safe: a later batch sees either every change of this snapshot
-- or none of them, never an incident opened without its announcement.
--
-- An incident a batch opens is announced (audited, healed or sent for
-- approval) afterwards, and marked so. If that batch failed in between, the
-- batch's retry or, after a grace period, a later batch takes it over: the
-- context read (host-context-read) names such incidents, and the decision
-- is made for them as new. Here the hand-over happens, if the announcement
-- is still unfinished: an incident is not left open and unannounced while
-- its condition persists.
--
-- With the change, the host's progress through the batch moves to this
-- snapshot (`decided` = arrival:index: the snapshots before it are done), so
-- that a retry decides again from here and not the quiet ones before it.
--
-- KEYS[1] host incidents hash (signal -> id), KEYS[2] host state hash
-- ARGV[1] arrival number, 0 when no batch decides (agent liveness)
-- ARGV[2] index of the snapshot among the host's in the batch
-- ARGV[3] host   ARGV[4] now (ISO)   ARGV[5] key prefix of incident hashes
-- ARGV[6] incidents to take over as comma-separated signal=id (may be empty)
-- ARGV[7] number of incidents to open, then per incident: signal, new id, value, threshold, class
-- then signal / value pairs to resolve, to the end.
--
-- Returns -1 when superseded, else { per opened: id, then 0 when it was open
-- already, 1 when opened now, 2 when handed over, 3 when handed over with its
-- audit entries written; then per resolve: the id resolved now, or '' when
-- none was open }.

local arrival = tonumber(ARGV[1])
if arrival > 0 and tonumber(redis.call('HGET', KEYS[2], 'arrival') or '0') > arrival then
  return -1
end
if arrival > 0 then
  redis.call('HSET', KEYS[2], 'decided', ARGV[1] .. ':' .. ARGV[2])
end
local time = redis.call('TIME')
local now = tostring(tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000))
local takeover = {}
for signal, id in string.gmatch(ARGV[6], '([^,=]+)=([^,]+)') do takeover[signal] = id end
local out = {}
local a = 8
for _ = 1, tonumber(ARGV[7]) do
  local signal, id = ARGV[a], ARGV[a + 1]
  local existing = redis.call('HGET', KEYS[1], signal)
  if existing then
    local record = ARGV[5] .. existing
    local f = redis.call('HMGET', record, 'announced', 'audited')
    local status = 0
    if takeover[signal] == existing and f[1] == '0' then
      redis.call('HSET', record, 'opened_by', ARGV[1], 'opened_ms', now)
      status = f[2] == '1' and 3 or 2
    end
    out[#out + 1] = existing
    out[#out + 1] = status
  else
    redis.call('HSET', KEYS[1], signal, id)
    redis.call('HSET', ARGV[5] .. id, 'id', id, 'host', ARGV[3], 'signal', signal, 'status', 'open',
      'opened_at', ARGV[4], 'value', ARGV[a + 2], 'threshold', ARGV[a + 3], 'class', ARGV[a + 4])
    if arrival > 0 then
      redis.call('HSET', ARGV[5] .. id, 'announced', '0', 'opened_by', ARGV[1], 'opened_ms', now)
    end
    out[#out + 1] = id
    out[#out + 1] = 1
  end
  a = a + 5
end
for i = a, #ARGV, 2 do
  local id = redis.call('HGET', KEYS[1], ARGV[i])
  if id then
    redis.call('HDEL', KEYS[1], ARGV[i])
    redis.call('HSET', ARGV[5] .. id, 'status', 'resolved', 'resolved_at', ARGV[4], 'resolved_value', ARGV[i + 1])
    out[#out + 1] = id
  else
    out[#out + 1] = ''
  end
end
return out
