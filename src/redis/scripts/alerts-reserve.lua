-- Reserves Alertmanager notifications for src/pipeline/alertmanager.ts while
-- they are being taken: the first request holding a (fingerprint, status,
-- startsAt) takes it, a resend or an HA twin arriving meanwhile or later is a
-- duplicate. The reservation is short: it becomes the long mark only once the
-- notification is accepted (alerts-apply), and is released when it is not,
-- so a crash or a failure never swallows Alertmanager's retries.
-- KEYS seen marks   ARGV[1] reservation TTL (s)
-- Returns per key 1 when reserved now, 0 when already taken or being taken.
local out = {}
for i = 1, #KEYS do
  out[i] = redis.call('SET', KEYS[i], 'pending', 'EX', ARGV[1], 'NX') and 1 or 0
end
return out
