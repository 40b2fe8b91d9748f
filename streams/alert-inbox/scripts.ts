/**
 * The alert store's atomic operations, as Redis Lua scripts: an alert's hash, its Mission Locale's
 * sorted sets and journal, the record's open set and its closing transition always change together,
 * whichever consumer (alerts or transitions, possibly two processes) gets there first.
 *
 * Per-alert and per-Mission-Locale keys are built in Lua from the `ml:` prefix the same way as
 * infra/redis/client.ts `redisKeys(ns).ml` builds them (a standalone Redis; not for Redis Cluster).
 * Numbers that are written back (instants, scores) travel as the strings given by TypeScript, never
 * re-formatted by Lua. The closing rule mirrors model.ts `closesAlert`.
 */

/**
 * Keeps the Mission Locale's summary hash (resume:<ml>, alert id → "motif|prio|ts|etat|situation|
 * closure code") in step with the alert's hash: the list's filters and the synthesis read it in one
 * HGETALL instead of one read per alert (store.ts parseSummary).
 */
const RESUME = `
local function refresh_resume(p, aid)
  local f = redis.call('HMGET', p .. 'alerte:' .. aid, 'ml', 'motif', 'prio', 'ts', 'etat', 'sit', 'fcode')
  if not f[1] then return end
  redis.call('HSET', p .. 'resume:' .. f[1], aid,
    f[2] .. '|' .. f[3] .. '|' .. f[4] .. '|' .. f[5] .. '|' .. (f[6] or 'a_contacter') .. '|' .. (f[7] or ''))
end
`;

/** Shared Lua helpers: close one open alert (move it between sets, history, journal, notification). */
const CLOSE = `${RESUME}
local function close_alert(p, aid, ferm, at, maxlen, channel)
  local ak = p .. 'alerte:' .. aid
  local f = redis.call('HMGET', ak, 'ml', 'score', 'rk', 'etat')
  if not f[1] or f[4] ~= 'ouverte' then return 0 end
  redis.call('HSET', ak, 'etat', 'fermee', 'ferm', ferm, 'fcode', cjson.decode(ferm).code)
  refresh_resume(p, aid)
  redis.call('ZREM', p .. 'ouvertes:' .. f[1], aid)
  redis.call('ZADD', p .. 'fermees:' .. f[1], f[2], aid)
  redis.call('SREM', p .. 'dossier:' .. f[3] .. ':ouvertes', aid)
  redis.call('ZREM', p .. 'ouvertures', aid)
  redis.call('ZADD', p .. 'fermetures', at, aid)
  redis.call('RPUSH', p .. 'historique:' .. aid,
    '{"type":"fermeture","at":' .. at .. ',"par":"systeme","fermeture":' .. ferm .. '}')
  redis.call('XADD', p .. 'flux:' .. f[1], 'MAXLEN', '~', maxlen, '*', 'type', 'fermeture', 'alerte', aid)
  redis.call('PUBLISH', channel, f[1])
  return 1
end
local function closes(det, eff, created, depuis)
  return det > created or (det == created and eff >= depuis)
end
`;

/**
 * Stores a new alert. Returns 0 when it exists or was deleted (idempotent by alert_id), 1 when
 * stored open, 2 when stored already closed (its closing transition arrived first).
 * Older open alerts of the same record are closed as superseded; the follow-up of one of the same
 * Mission Locale carries over.
 * ARGV: prefix, alert_id, data JSON, sealed contact, score, created_at, depuis, ml, record_key,
 *       creation history entry, superseded closure JSON, journal max length, channel, motif, priority.
 */
export const INGEST = `${CLOSE}
local p, id, ml, rk = ARGV[1], ARGV[2], ARGV[8], ARGV[9]
local created, depuis = tonumber(ARGV[6]), tonumber(ARGV[7])
local maxlen, channel = ARGV[12], ARGV[13]
local ak = p .. 'alerte:' .. id
if redis.call('EXISTS', ak) == 1 or redis.call('ZSCORE', p .. 'supprimees', id) then return 0 end
local recopen = p .. 'dossier:' .. rk .. ':ouvertes'
-- Its closing transition may have arrived first (two topics): then it is born closed, and so are
-- the record's older open alerts; otherwise these are superseded by it.
local cf = redis.call('HMGET', p .. 'dossier:' .. rk .. ':fermeture', 'det', 'eff', 'ferm')
local born_closed = cf[1] and closes(tonumber(cf[1]), tonumber(cf[2]), created, depuis)
local old_ferm, old_at = ARGV[11], ARGV[6]
if born_closed then old_ferm, old_at = cf[3], cf[1] end
local carried, carried_s, carried_sc = nil, nil, nil
for _, old in ipairs(redis.call('SMEMBERS', recopen)) do
  local f = redis.call('HMGET', p .. 'alerte:' .. old, 'ml', 'ts', 's', 'sc')
  if not f[1] then
    redis.call('SREM', recopen, old)
  elseif tonumber(f[2]) <= created then
    close_alert(p, old, old_ferm, old_at, maxlen, channel)
    if f[1] == ml and f[3] and (not carried_s or tonumber(cjson.decode(f[3]).at) > tonumber(cjson.decode(carried_s).at)) then
      carried, carried_s, carried_sc = old, f[3], f[4]
    end
  end
end
redis.call('HSET', ak, 'd', ARGV[3], 'c', ARGV[4], 'ml', ml, 'rk', rk, 'ts', ARGV[6], 'depuis', ARGV[7],
  'score', ARGV[5], 'etat', 'ouverte', 'motif', ARGV[14], 'prio', ARGV[15])
redis.call('RPUSH', p .. 'historique:' .. id, ARGV[10])
if carried then
  redis.call('HSET', ak, 's', carried_s, 'sit', cjson.decode(carried_s).situation)
  if carried_sc then redis.call('HSET', ak, 'sc', carried_sc) end
  redis.call('RPUSH', p .. 'historique:' .. id, '{"type":"reprise","at":' .. ARGV[6] ..
    ',"par":"systeme","de":' .. cjson.encode(carried) .. ',"situation":' .. cjson.encode(cjson.decode(carried_s).situation) .. '}')
end
redis.call('SADD', p .. 'index', ml)
local result = 1
if born_closed then
  redis.call('HSET', ak, 'etat', 'fermee', 'ferm', cf[3], 'fcode', cjson.decode(cf[3]).code)
  redis.call('ZADD', p .. 'fermees:' .. ml, ARGV[5], id)
  redis.call('ZADD', p .. 'fermetures', cf[1], id)
  redis.call('RPUSH', p .. 'historique:' .. id,
    '{"type":"fermeture","at":' .. cf[1] .. ',"par":"systeme","fermeture":' .. cf[3] .. '}')
  result = 2
else
  redis.call('ZADD', p .. 'ouvertes:' .. ml, ARGV[5], id)
  redis.call('SADD', recopen, id)
  redis.call('ZADD', p .. 'ouvertures', ARGV[6], id)
end
refresh_resume(p, id)
redis.call('XADD', p .. 'flux:' .. ml, 'MAXLEN', '~', maxlen, '*', 'type', 'alerte', 'alerte', id)
redis.call('PUBLISH', channel, ml)
return result
`;

/**
 * A closing transition of a record (new contract, end of training): remembered (the latest one,
 * expiring) for alerts that arrive after it, and closes the record's open alerts it comes after.
 * Returns the number of alerts closed.
 * ARGV: prefix, record_key, detected_at, effective_date, closure JSON, ttl seconds, journal max length, channel.
 */
export const TRANSITION = `${CLOSE}
local p, rk = ARGV[1], ARGV[2]
local det, eff = tonumber(ARGV[3]), tonumber(ARGV[4])
local ck = p .. 'dossier:' .. rk .. ':fermeture'
local cur = redis.call('HMGET', ck, 'det', 'eff')
if not cur[1] or tonumber(cur[1]) < det or (tonumber(cur[1]) == det and tonumber(cur[2]) <= eff) then
  redis.call('HSET', ck, 'det', ARGV[3], 'eff', ARGV[4], 'ferm', ARGV[5])
end
redis.call('EXPIRE', ck, ARGV[6])
local n = 0
local recopen = p .. 'dossier:' .. rk .. ':ouvertes'
for _, aid in ipairs(redis.call('SMEMBERS', recopen)) do
  local f = redis.call('HMGET', p .. 'alerte:' .. aid, 'ts', 'depuis', 'etat')
  if not f[1] or f[3] ~= 'ouverte' then
    redis.call('SREM', recopen, aid)
  elseif closes(det, eff, tonumber(f[1]), tonumber(f[2])) then
    n = n + close_alert(p, aid, ARGV[5], ARGV[3], ARGV[7], ARGV[8])
  end
end
return n
`;

/**
 * The advisor's follow-up of one alert of Mission Locale `ml`. Returns 0 when the alert does not
 * exist or belongs to another Mission Locale, else 1.
 * ARGV: prefix, alert_id, ml, suivi JSON, sealed comment ('' for none), history entry, journal max length, channel, situation.
 */
export const SUIVI = `${RESUME}
local p, id, ml = ARGV[1], ARGV[2], ARGV[3]
local ak = p .. 'alerte:' .. id
if redis.call('HGET', ak, 'ml') ~= ml then return 0 end
redis.call('HSET', ak, 's', ARGV[4], 'sit', ARGV[9])
refresh_resume(p, id)
if ARGV[5] == '' then redis.call('HDEL', ak, 'sc') else redis.call('HSET', ak, 'sc', ARGV[5]) end
redis.call('RPUSH', p .. 'historique:' .. id, ARGV[6])
redis.call('XADD', p .. 'flux:' .. ml, 'MAXLEN', '~', ARGV[7], '*', 'type', 'suivi', 'alerte', id)
redis.call('PUBLISH', ARGV[8], ml)
return 1
`;

/** Closes one open alert (expiry). ARGV: prefix, alert_id, closure JSON, at, journal max length, channel. */
export const CLOSE_ONE = `${CLOSE}
return close_alert(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6])
`;

/**
 * Deletes one alert and its history for good, leaving only its id as a tombstone (so that a
 * redelivered DropoutAlert does not bring it back). ARGV: prefix, alert_id, now.
 */
export const DELETE = `
local p, id = ARGV[1], ARGV[2]
local ak = p .. 'alerte:' .. id
local f = redis.call('HMGET', ak, 'ml', 'rk')
if f[1] then
  redis.call('ZREM', p .. 'ouvertes:' .. f[1], id)
  redis.call('ZREM', p .. 'fermees:' .. f[1], id)
  redis.call('HDEL', p .. 'resume:' .. f[1], id)
  redis.call('SREM', p .. 'dossier:' .. f[2] .. ':ouvertes', id)
end
redis.call('DEL', ak, p .. 'historique:' .. id)
redis.call('ZREM', p .. 'fermetures', id)
redis.call('ZREM', p .. 'ouvertures', id)
redis.call('ZADD', p .. 'supprimees', ARGV[3], id)
return f[1] and 1 or 0
`;
