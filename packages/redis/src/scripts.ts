/**
 * Lua scripts, run atomically by Redis. KEYS, always: the meta hash (generation, margin, lifetime),
 * the jti sorted set (member jti, score exp), the subject hash (sub → issuedBefore) and the subject
 * sorted set (member sub, score issuedBefore). Scores are Unix seconds.
 *
 * Expiry is decided here, by Redis's clock (`TIME`), never by a client's: one instance whose clock
 * runs fast cannot delete what the others still need. A jti goes once `exp + margin <= TIME`, a
 * subject once `issuedBefore + lifetime + margin <= TIME`, where margin and lifetime are the
 * largest any instance declared (meta). Without meta nothing is purged: the list is then lost or
 * being repaired, and what is left must stay.
 *
 * Each data key holds a marker (`jwt-guard:marker:<generation>`: score +inf, which no purge
 * reaches, or field value 0), so that a key gone by FLUSHDB, eviction or a restart without
 * persistence is told apart from an empty list.
 */

const PURGE_FUNCTION = `
local function purge()
  local margin = tonumber(redis.call('HGET', KEYS[1], 'margin'))
  local lifetime = tonumber(redis.call('HGET', KEYS[1], 'lifetime'))
  if margin == nil or lifetime == nil then return { 0, 0 } end
  local time = redis.call('TIME')
  local now = tonumber(time[1]) + tonumber(time[2]) / 1000000
  local removedJtis = redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', string.format('%.6f', now - margin))
  local cutoff = string.format('%.6f', now - lifetime - margin)
  local expired = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', cutoff)
  for i = 1, #expired, 500 do
    redis.call('HDEL', KEYS[3], unpack(expired, i, math.min(i + 499, #expired)))
  end
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', cutoff)
  -- A key emptied down to its marker is written anew: Redis keeps the hash table of its largest
  -- size otherwise (8 MB after a million entries), and the marker keeps the key from going.
  local generation = redis.call('HGET', KEYS[1], 'generation')
  if generation then
    local marker = 'jwt-guard:marker:' .. generation
    if removedJtis > 0 and redis.call('ZCARD', KEYS[2]) == 1 and redis.call('ZSCORE', KEYS[2], marker) then
      redis.call('DEL', KEYS[2])
      redis.call('ZADD', KEYS[2], '+inf', marker)
    end
    if #expired > 0 and redis.call('ZCARD', KEYS[4]) == 1 and redis.call('HLEN', KEYS[3]) == 1 and redis.call('ZSCORE', KEYS[4], marker) then
      redis.call('DEL', KEYS[3], KEYS[4])
      redis.call('HSET', KEYS[3], marker, '0')
      redis.call('ZADD', KEYS[4], '+inf', marker)
    end
  end
  return { removedJtis, #expired }
end
`;

/** Drops what expired. Returns { jtis removed, subjects removed }. */
export const PURGE_EXPIRED = `${PURGE_FUNCTION}
return purge()
`;

/**
 * Revokes a subject, keeping the later issuedBefore of two (a revocation never weakens), and drops
 * what expired: ARGV = sub, issuedBefore.
 */
export const REVOKE_SUBJECT = `${PURGE_FUNCTION}
purge()
local previous = tonumber(redis.call('HGET', KEYS[3], ARGV[1]))
if previous == nil or previous < tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
end
redis.call('ZADD', KEYS[4], 'GT', ARGV[2], ARGV[1])
return 1
`;

/** Whether every data key holds the marker of `generation`. */
const MARKED_FUNCTION = `
local function marked(generation)
  if not generation then return false end
  local marker = 'jwt-guard:marker:' .. generation
  return redis.call('ZSCORE', KEYS[2], marker) ~= false and redis.call('HEXISTS', KEYS[3], marker) == 1
    and redis.call('ZSCORE', KEYS[4], marker) ~= false
end
`;

/**
 * Read-only: { TIME seconds, TIME microseconds, generation or '', 1 if every marker is there }.
 * Run every second, and at each load.
 */
export const PROBE = `${MARKED_FUNCTION}
local time = redis.call('TIME')
local generation = redis.call('HGET', KEYS[1], 'generation')
return { time[1], time[2], generation or '', marked(generation) and 1 or 0 }
`;

/**
 * Makes sure the list exists and is whole: ARGV = a new generation, margin, lifetime, mode.
 * Nothing there at all: a new list ('created'). Meta and markers there: 'ok'. Anything else is a
 * list that lost keys: 'lost', unless mode is 'repair' — then it gets the new generation and new
 * markers ('repaired'), and the caller writes back what it knows. The new generation is what
 * tells every other instance that the list was lost, so that each writes its copy back too.
 * margin and lifetime are raised to this instance's, never lowered.
 * Returns { status, generation }.
 */
export const ENSURE = `${MARKED_FUNCTION}
local previous = redis.call('HGET', KEYS[1], 'generation')
local generation = previous
local status
if redis.call('EXISTS', KEYS[1], KEYS[2], KEYS[3], KEYS[4]) == 0 then
  generation = ARGV[1]
  status = 'created'
elseif marked(generation) then
  status = 'ok'
elseif ARGV[4] ~= 'repair' then
  return { 'lost', generation or '' }
else
  generation = ARGV[1]
  status = 'repaired'
  -- The old markers go (no revocation has the score +inf: exp and issuedBefore are finite).
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '+inf', '+inf')
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '+inf', '+inf')
  if previous then redis.call('HDEL', KEYS[3], 'jwt-guard:marker:' .. previous) end
end
redis.call('HSET', KEYS[1], 'generation', generation)
local margin = tonumber(redis.call('HGET', KEYS[1], 'margin'))
if margin == nil or margin < tonumber(ARGV[2]) then redis.call('HSET', KEYS[1], 'margin', ARGV[2]) end
local lifetime = tonumber(redis.call('HGET', KEYS[1], 'lifetime'))
if lifetime == nil or lifetime < tonumber(ARGV[3]) then redis.call('HSET', KEYS[1], 'lifetime', ARGV[3]) end
local marker = 'jwt-guard:marker:' .. generation
redis.call('ZADD', KEYS[2], '+inf', marker)
redis.call('HSET', KEYS[3], marker, '0')
redis.call('ZADD', KEYS[4], '+inf', marker)
return { status, generation }
`;
