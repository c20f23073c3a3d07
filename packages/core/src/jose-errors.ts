import { JwtGuardError } from './errors.js';

interface JoseLikeError {
  code?: string;
  claim?: string;
  reason?: string;
}

/**
 * Translates jose's errors into our codes. Messages are ours and fixed: jose's own messages are
 * kept only in `hint` for logs, never sent to the client.
 */
export function mapJoseError(error: unknown, hint: string | undefined): JwtGuardError {
  const { code, claim, reason } = (error ?? {}) as JoseLikeError;
  const detail = hint ?? (error instanceof Error ? error.message : undefined);
  const make = (ourCode: ConstructorParameters<typeof JwtGuardError>[0], message: string) =>
    new JwtGuardError(ourCode, message, { hint: detail, cause: error });
  switch (code) {
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return make('signature_invalid', 'The access token signature is invalid.');
    case 'ERR_JWT_EXPIRED':
      return make('token_expired', claim === 'iat' ? 'The access token is too old.' : 'The access token has expired.');
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return make('algorithm_not_allowed', 'The access token is signed with an algorithm that is not allowed.');
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (reason === 'missing') return make('claim_missing', `The access token has no "${safeClaim(claim)}" claim.`);
      if (reason === 'invalid') return make('claim_invalid', `The access token's "${safeClaim(claim)}" claim is invalid.`);
      switch (claim) {
        case 'iss': return make('issuer_mismatch', 'The access token was issued by an untrusted issuer.');
        case 'aud': return make('audience_mismatch', 'The access token is not meant for this audience.');
        case 'nbf': return make('token_not_yet_valid', 'The access token is not valid yet.');
        case 'typ': return make('type_mismatch', 'The access token has the wrong type (typ).');
        default: return make('claim_invalid', `The access token's "${safeClaim(claim)}" claim is invalid.`);
      }
    default:
      // ERR_JWS_INVALID, ERR_JWT_INVALID, ERR_JOSE_NOT_SUPPORTED (unknown crit), and anything else.
      return make('token_malformed', 'The access token is malformed.');
  }
}

/** Claim names come from our options or jose's fixed set, but are filtered anyway. */
function safeClaim(claim: string | undefined): string {
  return (claim ?? 'unknown').replace(/[^A-Za-z0-9_:.-]/g, '').slice(0, 64);
}
