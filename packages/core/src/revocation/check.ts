import { configError, JwtGuardError } from '../errors.js';
import type { JWTPayload } from '../options.js';
import type { RevocationOptions, RevocationUnavailableEvent } from './store.js';

const ignore = (): void => undefined;
const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';

/** Builds the check the verifier runs after signature and claims are valid. */
export function revocationCheck(options: RevocationOptions): (payload: JWTPayload) => Promise<void> | void {
  if (typeof options !== 'object' || options === null || typeof options.store?.check !== 'function') {
    throw configError('revocation needs { store }, e.g. revocation: { store: memoryRevocationStore() }.');
  }
  const { store, onUnavailable } = options;
  const whenUnavailable = options.whenUnavailable ?? 'fail-closed';
  if (whenUnavailable !== 'fail-closed' && whenUnavailable !== 'fail-open') {
    throw configError("revocation.whenUnavailable must be 'fail-closed' or 'fail-open'.");
  }

  if (onUnavailable !== undefined && typeof onUnavailable !== 'function') throw configError('revocation.onUnavailable must be a function.');

  /** Logging must not change the decision: a throw and a rejection (an async hook) alike are ignored. */
  const report = (event: RevocationUnavailableEvent): void => {
    try {
      const result: unknown = onUnavailable?.(event);
      if (isThenable(result)) void result.then(undefined, ignore);
    } catch {
      // ignored, as above
    }
  };

  const decide = (status: string, payload: JWTPayload): void => {
    if (status === 'active') return;
    if (status === 'revoked') throw new JwtGuardError('token_revoked', 'The access token has been revoked.');
    report({ decision: whenUnavailable, jti: payload.jti, sub: payload.sub });
    if (whenUnavailable === 'fail-closed') {
      throw new JwtGuardError('revocation_unavailable', 'Token revocation cannot be checked right now.', {
        hint: 'the revocation store is unreachable and its local copy is too stale (fail-closed)',
      });
    }
  };

  return (payload) => {
    const input = { jti: payload.jti, sub: payload.sub, iat: payload.iat, exp: payload.exp };
    let status;
    try {
      status = store.check(input);
    } catch {
      status = 'unknown' as const;
    }
    // The common case, an in-memory answer, stays synchronous: no promise per request.
    if (typeof status === 'string') return decide(status, payload);
    return status.then(
      (resolved) => decide(resolved, payload),
      () => decide('unknown', payload),
    );
  };
}
