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
-- KEYS[1] host incidents hash (signal -> id), KEYS[2] host state hash
-- ARGV[1] arrival number, 0 when no batch decides (agent liveness)
-- ARGV[2] host   ARGV[3] now (ISO)   ARGV[4] key prefix of incident hashes
-- ARGV[5] incidents to take over as comma-separated signal=id (may be empty)
-- ARGV[6] number of incidents to open, then per incident: signal, new id, value, threshold, class
-- then signal / value pairs to resolve, to the end.
--
-- Returns -1 when superseded, else { per opened: id, 1 when to be announced
-- now else 0; then per resolve: the id resolved now, or '' when none was open }.

local arrival = tonumber(ARGV[1])
if arrival > 0 and tonumber(redis.call('HGET', KEYS[2], 'arrival') or '0') > arrival then
  return -1
end
local time = redis.call('TIME')
local now = tostring(tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000))
local takeover = {}
for signal, id in string.gmatch(ARGV[5], '([^,=]+)=([^,]+)') do takeover[signal] = id end
local out = {}
local a = 7
for _ = 1, tonumber(ARGV[6]) do
  local signal, id = ARGV[a], ARGV[a + 1]
  local existing = redis.call('HGET', KEYS[1], signal)
  if existing then
    local record = ARGV[4] .. existing
    local handed = takeover[signal] == existing and redis.call('HGET', record, 'announced') == '0'
    if handed then
      redis.call('HSET', record, 'opened_by', ARGV[1], 'opened_ms', now)
    end
    out[#out + 1] = existing
    out[#out + 1] = handed and 1 or 0
  else
    redis.call('HSET', KEYS[1], signal, id)
    redis.call('HSET', ARGV[4] .. id, 'id', id, 'host', ARGV[2], 'signal', signal, 'status', 'open',
      'opened_at', ARGV[3], 'value', ARGV[a + 2], 'threshold', ARGV[a + 3], 'class', ARGV[a + 4])
    if arrival > 0 then
      redis.call('HSET', ARGV[4] .. id, 'announced', '0', 'opened_by', ARGV[1], 'opened_ms', now)
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
    redis.call('HSET', ARGV[4] .. id, 'status', 'resolved', 'resolved_at', ARGV[3], 'resolved_value', ARGV[i + 1])
    out[#out + 1] = id
  else
    out[#out + 1] = ''
  end
end
return out
