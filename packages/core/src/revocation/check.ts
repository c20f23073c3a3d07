import { configError, JwtGuardError } from '../errors.js';
import { callHook } from '../call-hook.js';
import { explainRefusal } from '../explanations.js';
import type { JWTPayload } from '../options.js';
import type { RevocationOptions, RevocationSubject, RevocationUnavailableEvent } from './store.js';

/**
 * The key a token's `jti` or `sub` is revoked by; undefined when the claim is absent. RFC 7519 makes
 * both strings, but numeric ids are common, and a safe integer has exactly one decimal form — the
 * one an administrator types, `revokeSubject('42')` — so it is matched by that. Anything else (an
 * empty string, a fraction, an integer beyond 2^53 that JSON parsing has already rounded, `null`,
 * a boolean, an object) could never be matched by a revocation: the token is refused.
 */
export function revocationKey(payload: JWTPayload, claim: 'jti' | 'sub'): string | undefined {
  const value: unknown = payload[claim];
  if (value === undefined) return undefined;
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  throw new JwtGuardError('claim_invalid', `The access token's "${claim}" claim is invalid.`, {
    hint: `a "${claim}" that is neither a non-empty string nor a safe integer could never be matched by a revocation`,
  });
}

/**
 * Builds the check the verifier runs after signature and claims are valid. Every token it lets
 * through can be revoked until it expires: it has an `exp`, a `jti` or a `sub` to be revoked by,
 * and — when the store keeps subject revocations for a bounded time — an `iat` and a lifetime
 * within that bound. `requireExp` is the verifier's: tokens that never expire cannot be revoked.
 * `clockTolerance` is the verifier's too: it accepts a token until `exp + clockTolerance`, so a
 * store must keep each entry at least that long past `exp` (its `expiryMargin`).
 */
export function revocationCheck(options: RevocationOptions, requireExp = true, clockTolerance = 0): (payload: JWTPayload) => Promise<void> | void {
  if (typeof options !== 'object' || options === null || typeof options.store?.check !== 'function') {
    throw configError('revocation needs { store }, e.g. revocation: { store: memoryRevocationStore() }.');
  }
  if (requireExp !== true) {
    throw configError(
      'requireExp: false cannot be combined with revocation: a token that never expires could never be revoked for its whole life (a revocation is kept until the token\'s exp). Keep requireExp at true.',
    );
  }
  const { store, onUnavailable } = options;
  const subjectBound = store.maxTokenLifetime;
  if (subjectBound !== undefined && !(typeof subjectBound === 'number' && subjectBound > 0 && Number.isFinite(subjectBound))) {
    throw configError('revocation.store.maxTokenLifetime must be a positive number of seconds, or absent.');
  }
  const margin = store.expiryMargin;
  if (margin !== undefined && !(typeof margin === 'number' && margin >= 0 && Number.isFinite(margin))) {
    throw configError('revocation.store.expiryMargin must be a non-negative number of seconds, or absent.');
  }
  if (margin !== undefined && clockTolerance > margin) {
    throw configError(
      `clockTolerance (${clockTolerance} s) is longer than the revocation store keeps an entry past a token's exp (its expiryMargin, ${margin} s): a revoked token would be accepted again once its entry is dropped. Raise the store's expiryMargin to at least clockTolerance plus the clock skew between your instances, or lower clockTolerance.`,
    );
  }
  const whenUnavailable = options.whenUnavailable ?? 'fail-closed';
  if (whenUnavailable !== 'fail-closed' && whenUnavailable !== 'fail-open') {
    throw configError("revocation.whenUnavailable must be 'fail-closed' or 'fail-open'.");
  }
  if (onUnavailable !== undefined && typeof onUnavailable !== 'function') throw configError('revocation.onUnavailable must be a function.');

  /** Logging must not change the decision: a throw and a rejection (an async hook) alike are ignored. */
  const report = (event: RevocationUnavailableEvent): void => {
    if (onUnavailable !== undefined) callHook(onUnavailable, event);
  };

  const decide = (status: string, token: RevocationSubject): void => {
    if (status === 'active') return;
    if (status === 'revoked') {
      throw new JwtGuardError('token_revoked', 'The access token has been revoked.', {
        hint: explainRefusal('token_revoked', { payload: { jti: token.jti, sub: token.sub } }),
      });
    }
    report({ decision: whenUnavailable, jti: token.jti, sub: token.sub });
    if (whenUnavailable === 'fail-closed') {
      throw new JwtGuardError('revocation_unavailable', 'Token revocation cannot be checked right now.', {
        hint: 'the revocation store is unreachable and its local copy is too stale (fail-closed)',
      });
    }
  };

  /** A token of a subject that could outlive a subject revocation of the store is refused. */
  const checkLifetime = (iat: number | undefined, exp: number, bound: number): void => {
    if (iat === undefined) {
      throw new JwtGuardError('claim_missing', 'The access token has no "iat" claim.', {
        hint: `revocation is on and the store keeps a subject revocation for maxTokenLifetime (${bound} s): a token of a subject needs "iat", or it could not be told apart from the tokens a subject revocation names, nor be revoked for its whole life`,
      });
    }
    if (exp - iat > bound) {
      throw new JwtGuardError('claim_invalid', 'The access token\'s "exp" claim is invalid.', {
        hint: `the token lives longer (exp - iat) than the revocation store's maxTokenLifetime (${bound} s), so a revocation of its subject would lapse while it is still valid: raise maxTokenLifetime to the longest lifetime of the tokens you accept`,
      });
    }
  };

  return (payload) => {
    const jti = revocationKey(payload, 'jti');
    const sub = revocationKey(payload, 'sub');
    // validateClaims has checked that iat and exp, when present, are finite numbers.
    const { iat, exp } = payload;
    if (exp === undefined) {
      throw new JwtGuardError('claim_missing', 'The access token has no "exp" claim.', { hint: 'revocation is on: a token that never expires cannot be revoked' });
    }
    if (jti === undefined && sub === undefined) {
      throw new JwtGuardError('claim_missing', 'The access token has no "jti" claim.', {
        hint: 'revocation is on, and a token with neither "jti" nor "sub" could never be revoked',
      });
    }
    if (sub !== undefined && subjectBound !== undefined) checkLifetime(iat, exp, subjectBound);
    const input = { jti, sub, iat, exp };
    let status;
    try {
      status = store.check(input);
    } catch {
      status = 'unknown' as const;
    }
    // The common case, an in-memory answer, stays synchronous: no promise per request.
    if (typeof status === 'string') return decide(status, input);
    return status.then(
      (resolved) => decide(resolved, input),
      () => decide('unknown', input),
    );
  };
}
