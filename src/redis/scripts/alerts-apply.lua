-- Applies an accepted Alertmanager notification for
-- src/pipeline/alertmanager.ts, all at once, in the notification's order:
-- each firing alert claims its signal on its host (hash fingerprint ->
-- "starts ms|claim JSON"), each resolved one lets go of it unless the claim
-- is of a later firing of the same alert (the resolution arrived late), and
-- every notification's reservation becomes its long mark.
-- KEYS[1..n] per alert: its host's claims hash; KEYS[n+1..2n] its seen mark
-- ARGV[1] n   ARGV[2] mark TTL (s), then per alert: fingerprint, starts ms, claim JSON ('' when resolved)
-- Returns the number of claims changed.
local n = tonumber(ARGV[1])
local changed = 0
for i = 1, n do
  local fingerprint, starts, claim = ARGV[3 * i], ARGV[3 * i + 1], ARGV[3 * i + 2]
  if claim ~= '' then
    redis.call('HSET', KEYS[i], fingerprint, starts .. '|' .. claim)
    changed = changed + 1
  else
    local stored = redis.call('HGET', KEYS[i], fingerprint)
    if stored and tonumber(string.match(stored, '^(%-?%d+)|') or '0') <= tonumber(starts) then
      redis.call('HDEL', KEYS[i], fingerprint)
      changed = changed + 1
    end
  end
  redis.call('SET', KEYS[n + i], '1', 'EX', ARGV[2])
end
return changed
