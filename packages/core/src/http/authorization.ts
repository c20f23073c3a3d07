import { configError, JwtGuardError } from '../errors.js';
import { explainRefusal, showValue } from '../explanations.js';
import type { AuthContext, JWTPayload } from '../options.js';
import { authLevelPolicy, authLevelRefusal, type AuthLevel } from './auth-level.js';

/**
 * The guard's clock, as a route check reads it: the verifier's `currentDate` (else the system
 * clock) and `clockTolerance`, so a time check after authentication (`requireAuthLevel({ maxAge })`)
 * tells the time as `exp` and `iat` were checked.
 */
export interface RouteCheckClock {
  /** The current time in seconds since 1970, with its fraction; NaN when `currentDate` gives no valid time. */
  readonly now: () => number;
  /** Seconds of allowed clock skew (the guard's `clockTolerance`). */
  readonly clockTolerance: number;
}

/**
 * A route-level check run after authentication: undefined when it passes, else the refusal.
 * `clock` is the guard's (every adapter passes it); without it, a time check uses the system
 * clock and no tolerance.
 */
export type Requirement = (auth: AuthContext | undefined, authError: JwtGuardError | undefined, clock?: RouteCheckClock) => JwtGuardError | undefined;

function unauthenticated(authError: JwtGuardError | undefined): JwtGuardError {
  return authError ?? new JwtGuardError('token_missing', 'No access token was provided.');
}

/** `requireScope` (all of) and `requireAnyScope` (any of). Checked once, when the route is defined. */
export function scopeRequirement(scopes: readonly string[], mode: 'all' | 'any'): Requirement {
  const name = mode === 'all' ? 'requireScope' : 'requireAnyScope';
  if (scopes.length === 0) throw configError(`${name}() needs at least one scope.`);
  for (const scope of scopes) {
    if (typeof scope !== 'string' || !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(scope)) {
      throw configError(`${name}(): "${String(scope)}" is not a valid scope token (RFC 6749 §3.3: no spaces, quotes or backslashes).${scopeListAdvice(name, scope, scopes)}`);
    }
  }
  const required = Object.freeze([...scopes]);
  return (auth, authError) => {
    if (auth === undefined) return unauthenticated(authError);
    const granted = mode === 'all' ? required.every((scope) => auth.scopes.has(scope)) : required.some((scope) => auth.scopes.has(scope));
    if (granted) return undefined;
    return new JwtGuardError('insufficient_scope', 'The access token does not have the scope this request requires.', {
      requiredScopes: required,
      hint: explainRefusal('insufficient_scope', { requiredScopes: required, scopeMode: mode, grantedScopes: [...auth.scopes] }),
    });
  };
}

/**
 * A space-delimited list is what a token's `scope` claim looks like, so passing one as a single
 * scope is an easy slip; say how to write it instead.
 */
function scopeListAdvice(name: string, scope: unknown, all: readonly unknown[]): string {
  if (typeof scope !== 'string' || scope.trim().split(/\s+/).length < 2) return '';
  // The whole call, rewritten: every argument split, so the suggestion can be pasted as it is.
  const parts = all.flatMap((each) => (typeof each === 'string' ? each.split(/\s+/).filter((part) => part !== '') : []));
  return ` Pass each scope as its own argument: ${name}(${parts.map((part) => `'${part}'`).join(', ')}).`;
}

/**
 * `requireAuthLevel({ acr, maxAge })` (RFC 9470 step-up). Checked once, when the route is defined;
 * on a request, timed by the guard's clock.
 */
export function authLevelRequirement(level: AuthLevel): Requirement {
  const policy = authLevelPolicy(level);
  return (auth, authError, clock) => {
    if (auth === undefined) return unauthenticated(authError);
    return authLevelRefusal(policy, auth.payload, clock ?? SYSTEM_CLOCK);
  };
}

/** For a requirement called without the guard's clock (outside an adapter): the system clock, no tolerance. */
const SYSTEM_CLOCK: RouteCheckClock = Object.freeze({ now: () => Date.now() / 1000, clockTolerance: 0 });

/** What a claim must be: a value, one of several values, or a predicate. */
export type ClaimExpectation<V = unknown> = string | number | boolean | readonly (string | number | boolean)[] | ((value: V, payload: JWTPayload) => boolean);

/**
 * `requireClaim(name, expected)`. Only the token's own claims are read (never an inherited property
 * such as `constructor`): a claim the token does not carry is `undefined`. A claim that is an array
 * passes when any element matches; an expected array passes when the claim equals any of its values. A failure is a 403, never a 401:
 * the token is valid, it just does not grant this.
 */
export function claimRequirement(name: string, expected: ClaimExpectation): Requirement {
  if (typeof name !== 'string' || name === '') throw configError('requireClaim(name, expected) needs a claim name.');
  if (expected === undefined || expected === null) throw configError(`requireClaim("${name}") needs an expected value, values or a predicate.`);
  const matches = (value: unknown, payload: JWTPayload): boolean => {
    if (typeof expected === 'function') return expected(value, payload) === true;
    const allowed: readonly unknown[] = Array.isArray(expected) ? expected : [expected];
    const actual: readonly unknown[] = Array.isArray(value) ? value : [value];
    return actual.some((item) => allowed.includes(item));
  };
  // What the route requires, in words, for the hint (a predicate cannot be shown).
  const wanted = typeof expected === 'function' ? 'a value its predicate accepts' : (Array.isArray(expected) ? expected : [expected]).map(showValue).join(' or ');
  return (auth, authError) => {
    if (auth === undefined) return unauthenticated(authError);
    let ok = false;
    try {
      // Own claims only: `requireClaim('constructor', …)` must not see Object.prototype.constructor.
      ok = matches(Object.hasOwn(auth.payload, name) ? auth.payload[name] : undefined, auth.payload);
    } catch {
      ok = false;
    }
    if (ok) return undefined;
    return new JwtGuardError('claim_mismatch', 'The access token does not grant access to this resource.', {
      hint: explainRefusal('claim_mismatch', { claim: name, payload: Object.hasOwn(auth.payload, name) ? { [name]: auth.payload[name] } : {}, expected: wanted }),
    });
  };
}

/** The route checks every adapter exports, as its framework's middleware type. */
export interface RouteChecks<Middleware> {
  /** The token must carry every one of these scopes (403 `insufficient_scope` if not). */
  requireScope: (...scopes: string[]) => Middleware;
  /** The token must carry at least one of these scopes. */
  requireAnyScope: (...scopes: string[]) => Middleware;
  /** A claim must equal a value, be one of several, or pass a predicate (403 `claim_mismatch` if not). */
  requireClaim: (name: string, expected: ClaimExpectation) => Middleware;
  /**
   * Step-up (RFC 9470): the user must have authenticated with one of `acr`, and/or no longer than
   * `maxAge` ago (`auth_time`). If not, 401 `insufficient_user_authentication` with `acr_values` /
   * `max_age` in the challenge, so the client can send the user to authenticate again.
   */
  requireAuthLevel: (level: AuthLevel) => Middleware;
}

/**
 * The route checks every adapter exports, built on one function that turns a requirement
 * into the framework's middleware — so `requireScope` means the same thing everywhere.
 */
export function defineRouteChecks<Middleware>(toMiddleware: (requirement: Requirement) => Middleware): RouteChecks<Middleware> {
  return {
    requireScope: (...scopes) => toMiddleware(scopeRequirement(scopes, 'all')),
    requireAnyScope: (...scopes) => toMiddleware(scopeRequirement(scopes, 'any')),
    requireClaim: (name, expected) => toMiddleware(claimRequirement(name, expected)),
    requireAuthLevel: (level) => toMiddleware(authLevelRequirement(level)),
  };
}

/** The verified token of a request, or a `token_missing` error for `getAuth()` on a request without one. */
export function requireAuth<Auth>(auth: Auth | undefined): Auth {
  if (auth === undefined) {
    throw new JwtGuardError('token_missing', 'No access token was provided.', { hint: 'getAuth() on a request without a verified token' });
  }
  return auth;
}

/** A route check ran on a request the guard never saw: a wiring mistake, reported as such. */
export function notGuardedError(howToFix: string): JwtGuardError {
  return configError(`a scope or claim check ran on a request the guard did not see; ${howToFix}`);
}
