import type { SessionFamily } from '@jwt-guard/session';
import { RedisSessionStoreError } from './session-errors.js';

const isString = (value: unknown): value is string => typeof value === 'string';
const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isStrings = (value: unknown): value is string[] => Array.isArray(value) && value.every(isString);

/** Whether a parsed value has every field a family needs, of the right type (what the sessions read). */
function isFamily(value: unknown): value is SessionFamily {
  if (!isObject(value)) return false;
  const { previous, accessTokens } = value;
  return (
    isString(value.familyId) && isString(value.sid) && isString(value.subject) && isStrings(value.scopes) && isObject(value.claims) &&
    isTime(value.createdAt) && isTime(value.lastUsedAt) && isTime(value.expiresAt) && isTime(value.idleExpiresAt) &&
    isStrings(value.current) && typeof value.revoked === 'boolean' && Number.isSafeInteger(value.version) &&
    (previous === undefined || (isObject(previous) && isStrings(previous.hashes) && isTime(previous.retiresAt))) &&
    Array.isArray(accessTokens) && accessTokens.every((entry) => isObject(entry) && isString(entry.jti) && isTime(entry.exp))
  );
}

/** The family stored under `familyId`, or a `corrupt_record` rejection (the value is never trusted). */
export function parseFamily(familyId: string, stored: string): SessionFamily {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stored);
  } catch (cause) {
    throw new RedisSessionStoreError('corrupt_record', 'the stored session family is not JSON', { cause });
  }
  if (!isFamily(parsed) || parsed.familyId !== familyId) {
    throw new RedisSessionStoreError('corrupt_record', 'the stored session family is not a family record (wrong shape or id)');
  }
  return parsed;
}

/** When Redis may drop the family: its idle deadline, never past its absolute end (Unix ms, whole). */
export const familyExpiry = (family: SessionFamily): number => Math.ceil(Math.min(family.idleExpiresAt, family.expiresAt));
