/**
 * Lua scripts, run atomically by Redis. Keys: the jti sorted set (member jti, score exp), the
 * subject hash (sub → issuedBefore) and the subject-expiry sorted set (member sub, score
 * issuedBefore + maxTokenLifetime). Scores are Unix seconds; an entry whose score is ≤ now is
 * expired (a token is valid while exp > now).
 */

/**
 * Drops what expired: KEYS = jtis, subjects, subjectExpiry; ARGV = now.
 * Returns { jtis removed, subjects removed }.
 */
export const PURGE_EXPIRED = `
local removedJtis = redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', ARGV[1])
for i = 1, #expired, 500 do
  redis.call('HDEL', KEYS[2], unpack(expired, i, math.min(i + 499, #expired)))
end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ARGV[1])
return { removedJtis, #expired }
`;

/**
 * Revokes a subject, keeping the later issuedBefore of two (a revocation never weakens), and drops
 * what expired: KEYS = jtis, subjects, subjectExpiry; ARGV = now, sub, issuedBefore, expiresAt.
 */
export const REVOKE_SUBJECT = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', ARGV[1])
for i = 1, #expired, 500 do
  redis.call('HDEL', KEYS[2], unpack(expired, i, math.min(i + 499, #expired)))
end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ARGV[1])
local previous = tonumber(redis.call('HGET', KEYS[2], ARGV[2]))
if previous == nil or previous < tonumber(ARGV[3]) then
  redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
end
redis.call('ZADD', KEYS[3], 'GT', ARGV[4], ARGV[2])
return 1
`;
