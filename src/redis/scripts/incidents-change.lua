-- Opens and resolves a host's incidents for one snapshot, all or nothing,
-- with their events: one open incident per (host, signal), and each resolved
-- once (a second resolver, another replica or a replayed batch, resolves
-- nothing). The events are written here, in the same step, so an incident
-- can be neither opened without its decision in the event stream (which the
-- audit records) nor resolved without its `incident.resolved`.
--
-- A deciding batch passes its arrival number; if a later batch has claimed
-- the host (see host-context-read) nothing changes. Being one call is what
-- makes that safe: a later batch sees either every change of this snapshot
-- or none of them.
--
-- What an opened incident asks for (its heal or approval request) follows
-- from its event (src/pipeline/follow-up.ts), so nothing is left to a step
-- that a crash could cut short.
--
-- With the change, the host's progress through the batch moves to this
-- snapshot (`decided` = arrival:index: the snapshots before it are done), so
-- that a retry decides again from here and not the quiet ones before it.
--
-- KEYS[1] host incidents hash (signal -> id), KEYS[2] host state hash, KEYS[3] events stream
-- ARGV[1] arrival number, 0 when no batch decides (agent liveness)
-- ARGV[2] index of the snapshot among the host's in the batch
-- ARGV[3] host   ARGV[4] now (ISO)   ARGV[5] key prefix of incident hashes
-- ARGV[6] events kept (approx.)
-- ARGV[7] the event to write when incidents open now, as JSON that begins with its type and in which the string
--   "$INCIDENTS" stands for the incidents asked to open ([{"id":…,"signal":…,"opened":true
--   when opened now, false when open already}]) and $INCIDENT_ID for the first one opened now; '' for none
-- ARGV[8] '1': write that event even when none opens now (a firewall request's
--   decision), unless this very snapshot was decided before (a retry)
-- ARGV[9] number of incidents to open, then per incident: signal, id, value, threshold, class
-- then signal / value pairs to resolve, to the end (value: a JSON number).
--
-- Returns -1 when superseded, else { per opened: id, then 0 when it was open
-- already, 1 when opened now; then per resolve: the id resolved now, or ''
-- when none was open }.

local arrival = tonumber(ARGV[1])
if arrival > 0 and tonumber(redis.call('HGET', KEYS[2], 'arrival') or '0') > arrival then
  return -1
end
local position = ARGV[1] .. ':' .. ARGV[2]
local redo = false
if arrival > 0 then
  redo = redis.call('HGET', KEYS[2], 'decided') == position
  redis.call('HSET', KEYS[2], 'decided', position)
end

local function replace(s, what, with)
  local i, j = string.find(s, what, 1, true)
  if not i then return s end
  return string.sub(s, 1, i - 1) .. with .. string.sub(s, j + 1)
end
local function publish(type, json)
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[6], '*', 'type', type, 'event', json)
end

local out = {}
local asked = {}
local first
local a = 10
for _ = 1, tonumber(ARGV[9]) do
  local signal, id = ARGV[a], ARGV[a + 1]
  local existing = redis.call('HGET', KEYS[1], signal)
  if existing then
    asked[#asked + 1] = {id = existing, signal = signal, opened = false}
    out[#out + 1] = existing
    out[#out + 1] = 0
  else
    redis.call('HSET', KEYS[1], signal, id)
    redis.call('HSET', ARGV[5] .. id, 'id', id, 'host', ARGV[3], 'signal', signal, 'status', 'open',
      'opened_at', ARGV[4], 'value', ARGV[a + 2], 'threshold', ARGV[a + 3], 'class', ARGV[a + 4])
    asked[#asked + 1] = {id = id, signal = signal, opened = true}
    first = first or id
    out[#out + 1] = id
    out[#out + 1] = 1
  end
  a = a + 5
end

if ARGV[7] ~= '' and (first or (ARGV[8] == '1' and not redo)) then
  local list = {}
  for i, o in ipairs(asked) do
    list[i] = '{"id":' .. cjson.encode(o.id) .. ',"signal":' .. cjson.encode(o.signal) ..
      ',"opened":' .. tostring(o.opened) .. '}'
  end
  local json = replace(ARGV[7], '"$INCIDENTS"', '[' .. table.concat(list, ',') .. ']')
  if first then json = replace(json, '$INCIDENT_ID', first) end
  publish(string.match(json, '^{"type":"([^"]+)"'), json)
end

for i = a, #ARGV, 2 do
  local id = redis.call('HGET', KEYS[1], ARGV[i])
  if id then
    redis.call('HDEL', KEYS[1], ARGV[i])
    redis.call('HSET', ARGV[5] .. id, 'status', 'resolved', 'resolved_at', ARGV[4], 'resolved_value', ARGV[i + 1])
    publish('incident.resolved', '{"type":"incident.resolved","host":' .. cjson.encode(ARGV[3]) ..
      ',"incident_id":' .. cjson.encode(id) .. ',"signal":' .. cjson.encode(ARGV[i]) .. ',"value":' .. ARGV[i + 1] .. '}')
    out[#out + 1] = id
  else
    out[#out + 1] = ''
  end
end
return out
