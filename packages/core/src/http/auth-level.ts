import { checkOptionNames } from '../config.js';
import { durationToSeconds } from '../duration.js';
import { configError, JwtGuardError } from '../errors.js';
import { explainRefusal } from '../explanations.js';
import type { Duration, JWTPayload } from '../options.js';
import type { RouteCheckClock } from './authorization.js';

/** What `requireAuthLevel` asks of the user's authentication behind a token (RFC 9470). At least one of the two. */
export interface AuthLevel {
  /**
   * The accepted authentication context classes: the token's `acr` claim must be one of them (a
   * string, compared exactly). A token without `acr` never passes. Announced as `acr_values`.
   */
  acr?: string | readonly string[];
  /**
   * How long ago the user may have authenticated: seconds, or a duration such as `'5m'`, in whole
   * seconds. The token's `auth_time` must be a number no older than this (plus the guard's
   * `clockTolerance`); a token without `auth_time` never passes. Announced as `max_age`.
   */
  maxAge?: Duration;
}

/** An `AuthLevel`, checked and resolved at start-up: the accepted `acr` values and `maxAge` in seconds. */
export interface AuthLevelPolicy {
  readonly acr: readonly string[] | undefined;
  readonly maxAge: number | undefined;
}

const NAME = 'requireAuthLevel()';
/** One `acr` value as `acr_values` can carry it: space-separated, inside a quoted-string (RFC 9470 §3, RFC 6750 §3). */
const ACR_VALUE = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** Checks a `requireAuthLevel` argument when the route is defined; throws `config_invalid` saying what to change. */
export function authLevelPolicy(level: AuthLevel): AuthLevelPolicy {
  if (typeof level !== 'object' || level === null) {
    throw configError(`${NAME} needs an options object: { acr: 'phr' }, { maxAge: '5m' }, or both.`);
  }
  checkOptionNames(level, ['acr', 'maxAge'], NAME);
  if (level.acr === undefined && level.maxAge === undefined) {
    throw configError(
      `${NAME} needs acr (the acr values to accept, e.g. acr: 'phr'), maxAge (how long ago the user may have authenticated, e.g. maxAge: '5m'), or both.`,
    );
  }
  return Object.freeze({ acr: level.acr === undefined ? undefined : acrValuesOf(level.acr), maxAge: level.maxAge === undefined ? undefined : maxAgeOf(level.maxAge) });
}

function acrValuesOf(acr: string | readonly string[]): readonly string[] {
  const values: readonly unknown[] = typeof acr === 'string' ? [acr] : Array.isArray(acr) ? acr : [acr];
  if (values.length === 0) throw configError(`${NAME}: acr is an empty list, so no token could pass; list the acr values to accept, e.g. acr: ['phr', 'phrh'].`);
  for (const value of values) {
    if (typeof value !== 'string' || !ACR_VALUE.test(value)) {
      throw configError(
        `${NAME}: acr value ${typeof value === 'string' ? `"${value}"` : String(value)} is not a single acr value; give each as its own string, without spaces, quotes or backslashes (acr_values lists them space-separated, RFC 9470 §3).`,
      );
    }
  }
  return Object.freeze([...(values as string[])]);
}

function maxAgeOf(maxAge: Duration): number {
  const seconds = durationToSeconds(maxAge, `${NAME} maxAge`);
  if (!Number.isSafeInteger(seconds)) {
    throw configError(`${NAME}: maxAge is announced in whole seconds (max_age, RFC 9470 §3); give a whole number of seconds, e.g. 300 or '5m'.`);
  }
  return seconds;
}

/**
 * The refusal of a verified token whose user authentication falls short of `policy`, or undefined
 * when it meets it. Only the token's own `acr` and `auth_time` are read.
 */
export function authLevelRefusal(policy: AuthLevelPolicy, payload: JWTPayload, clock: RouteCheckClock): JwtGuardError | undefined {
  const acr = Object.hasOwn(payload, 'acr') ? payload.acr : undefined;
  const acrMet = policy.acr === undefined || (typeof acr === 'string' && policy.acr.includes(acr));
  let now: number | undefined;
  let authTime: unknown;
  let recent = true;
  if (policy.maxAge !== undefined) {
    now = clock.now();
    // A clock that cannot tell the time is the server's fault: re-authenticating the user could not help.
    if (!Number.isFinite(now)) {
      return new JwtGuardError('clock_invalid', "The server's clock cannot be read, so no token can be checked.", {
        hint: 'currentDate gave no valid time (an Invalid Date, not a Date, or it threw); fix currentDate or remove it',
      });
    }
    authTime = Object.hasOwn(payload, 'auth_time') ? payload.auth_time : undefined;
    const tolerance = clock.clockTolerance;
    // An auth_time beyond the tolerance in the future is no authentication time at all, like an iat there.
    recent = typeof authTime === 'number' && Number.isFinite(authTime) && authTime <= now + tolerance && now - authTime - tolerance <= policy.maxAge;
  }
  if (acrMet && recent) return undefined;
  const options = { ...(policy.acr === undefined ? {} : { acrValues: policy.acr }), ...(policy.maxAge === undefined ? {} : { maxAge: policy.maxAge }) };
  return new JwtGuardError('insufficient_user_authentication', 'The request requires a stronger or more recent authentication of the user.', {
    ...options,
    hint: explainRefusal('insufficient_user_authentication', {
      payload: { acr, auth_time: authTime },
      now,
      clockTolerance: clock.clockTolerance,
      acrValues: policy.acr,
      maxAge: policy.maxAge,
    }),
  });
}
