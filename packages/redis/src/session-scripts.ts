/**
 * Lua scripts of the session store, run atomically by Redis: two instances refreshing the same
 * token cannot both write from the same version.
 */

/**
 * Compare-and-set of a family: KEYS = family key; ARGV = expected version, new JSON, expiry
 * (Unix ms, PXAT), family id. Returns 1 when written, 0 when the family is gone or at another version; an
 * error reply when the stored value is not a family (never overwritten blindly).
 */
export const UPDATE_FAMILY = `
local stored = redis.call('GET', KEYS[1])
if not stored then return 0 end
local ok, family = pcall(cjson.decode, stored)
if not ok or type(family) ~= 'table' or type(family.version) ~= 'number' or family.familyId ~= ARGV[4] then
  return redis.error_reply('JWTGUARD_CORRUPT the stored session family is not a family record')
end
if family.version ~= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PXAT', ARGV[3])
return 1
`;

/**
 * A subject's "log out everywhere" cutoff, never lowered: KEYS = subject key; ARGV = cutoff (Unix
 * ms), how long to keep it (ms). The expiry is set anew each time: it only ever moves later.
 */
export const REVOKE_SUBJECT_SESSIONS = `
local previous = tonumber(redis.call('GET', KEYS[1]))
if previous == nil or previous < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1])
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;
