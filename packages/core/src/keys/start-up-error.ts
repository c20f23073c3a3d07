import { JwtGuardError } from '../errors.js';

/**
 * A key source's failure as `ready()` (and so `warmUp`, or an adapter's start-up) rejects with it.
 * A request's 503 keeps the generic client message; a start-up failure is read by a developer, so
 * its message names the cause (the hint: a URL without credentials, an HTTP status, an issuer
 * mismatch), not just "temporarily unavailable". Code, status and hint stay the same.
 */
export function atStartUp(error: unknown): unknown {
  if (!(error instanceof JwtGuardError) || error.code !== 'key_source_unavailable' || error.hint === undefined) return error;
  return new JwtGuardError('key_source_unavailable', `The token signing keys could not be loaded: ${error.hint}.`, { hint: error.hint, cause: error });
}
