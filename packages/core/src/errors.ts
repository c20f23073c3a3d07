/**
 * Every refusal the guard can make, with the HTTP status and the RFC 6750 error it maps to.
 * The `code` is the stable, machine-readable part of our API: clients and dashboards key on it.
 */
export const ERROR_CODES = {
  /** No token in the request (RFC 6750 §3.1: no error attribute is sent). */
  token_missing: { status: 401, bearerError: undefined },
  /** Not a compact JWS: wrong number of segments, bad base64url, header or payload not JSON. */
  token_malformed: { status: 401, bearerError: 'invalid_token' },
  /** Longer than `maxTokenLength`; refused before any parsing. */
  token_too_large: { status: 401, bearerError: 'invalid_token' },
  token_expired: { status: 401, bearerError: 'invalid_token' },
  token_not_yet_valid: { status: 401, bearerError: 'invalid_token' },
  signature_invalid: { status: 401, bearerError: 'invalid_token' },
  algorithm_not_allowed: { status: 401, bearerError: 'invalid_token' },
  issuer_mismatch: { status: 401, bearerError: 'invalid_token' },
  audience_mismatch: { status: 401, bearerError: 'invalid_token' },
  /** A claim that must be present (`exp`, or one of `requiredClaims`) is absent. */
  claim_missing: { status: 401, bearerError: 'invalid_token' },
  /** A registered claim has the wrong type or fails its check (`iat` in the future, `maxTokenAge`). */
  claim_invalid: { status: 401, bearerError: 'invalid_token' },
  type_mismatch: { status: 401, bearerError: 'invalid_token' },
  key_not_found: { status: 401, bearerError: 'invalid_token' },
  /** The token is on the revocation denylist (by `jti`, or its subject was revoked after it was issued). */
  token_revoked: { status: 401, bearerError: 'invalid_token' },
  /** The revocation store cannot answer and `whenUnavailable` is `'fail-closed'`. */
  revocation_unavailable: { status: 503, bearerError: undefined },
  /**
   * The token is bound to a key or certificate (`cnf`) the request did not prove: a missing or
   * wrong DPoP proof or client certificate.
   */
  token_binding_invalid: { status: 401, bearerError: 'invalid_token' },
  /** The token lacks a scope the route requires. */
  insufficient_scope: { status: 403, bearerError: 'insufficient_scope' },
  /** A `requireClaim` check failed: the token is valid but does not grant this. */
  claim_mismatch: { status: 403, bearerError: 'insufficient_scope' },
  /**
   * A `requireAuthLevel` check failed (RFC 9470): the user's authentication behind the token is too
   * weak (`acr`) or too old (`auth_time`). A 401 whose challenge carries `acr_values` / `max_age`,
   * so the client sends the user back to the authorization server to authenticate again.
   */
  insufficient_user_authentication: { status: 401, bearerError: 'insufficient_user_authentication' },
  /**
   * An unsafe request (POST, PUT…) with the token in a cookie came from another site, or could not
   * show it did not (no `Sec-Fetch-Site: same-origin`, no trusted `Origin`). Not a token problem:
   * no `WWW-Authenticate` challenge is sent.
   */
  csrf_check_failed: { status: 403, bearerError: undefined },
  /**
   * The client's address was refused for a cool-off period by a detector (`detect`: a forgery probe,
   * or a token shared across addresses, with `respond: 'block-client'`). Sent with `Retry-After`;
   * not a token problem, so no `WWW-Authenticate` challenge.
   */
  client_blocked: { status: 429, bearerError: undefined },
  /**
   * A detector that can block clients could not learn the client's address (`detect.clientAddress`
   * threw or gave no string), so the guard cannot tell whether this client is blocked: it fails closed.
   */
  detection_unavailable: { status: 503, bearerError: undefined },
  /** Malformed `Authorization` header, or a token sent in more than one place (RFC 6750 §2). */
  invalid_request: { status: 400, bearerError: 'invalid_request' },
  /**
   * The verifier's clock (`currentDate`) gave no valid time — an Invalid Date, not a Date, a throw —
   * so no time check can be made: the server's fault, not the token's, hence a 503, like a key
   * source that is down.
   */
  clock_invalid: { status: 503, bearerError: undefined },
  /** The key source (JWKS endpoint, `getKey`) could not be reached and no usable key is cached. */
  key_source_unavailable: { status: 503, bearerError: undefined },
  /** Thrown at start-up by `createVerifier` for a configuration that cannot be made safe. */
  config_invalid: { status: 500, bearerError: undefined },
} as const satisfies Record<string, { status: number; bearerError: string | undefined }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface JwtGuardErrorOptions {
  /** Developer-facing detail for logs (`onRejected`); never sent to the client. */
  hint?: string;
  /** Scopes the route required, for `insufficient_scope`. */
  requiredScopes?: readonly string[];
  /** The `acr` values the route accepts, for `insufficient_user_authentication` (RFC 9470 `acr_values`). */
  acrValues?: readonly string[];
  /** Seconds an authentication may be old, for `insufficient_user_authentication` (RFC 9470 `max_age`). */
  maxAge?: number;
  /** The `realm` to announce in `WWW-Authenticate`. */
  realm?: string;
  /** Request headers the refusal depended on, for the response's `Vary` (the CSRF check's). */
  vary?: string | undefined;
  /** Seconds the client should wait before trying again, sent as `Retry-After` (`client_blocked`). */
  retryAfter?: number | undefined;
  cause?: unknown;
}

let savedStackTraceLimit = Error.stackTraceLimit;

/**
 * A refusal is an answer, not a bug: its stack trace would say nothing, and capturing one costs
 * several microseconds — as much as verifying an HMAC token, so a stream of forged tokens would
 * cost far more than valid ones. Refusals are made without one (the constructor restores the
 * limit right after `super`); a configuration error keeps its stack, which points at the call.
 */
function withoutStackUnlessConfig(code: ErrorCode, cause: unknown): ErrorOptions | undefined {
  savedStackTraceLimit = Error.stackTraceLimit;
  if (code !== 'config_invalid') Error.stackTraceLimit = 0;
  return cause === undefined ? undefined : { cause };
}

/**
 * The one error type of jwt-guard. `message` is safe to send to a client: it never contains key
 * material, the token, or any raw value taken from the token. (One exception, never sent by the
 * guard itself: the start-up error `ready()` rejects with names its cause — a redacted key URL, an
 * HTTP status, an issuer — for the operator.)
 */
export class JwtGuardError extends Error {
  override readonly name = 'JwtGuardError';
  readonly code: ErrorCode;
  readonly status: number;
  /** Developer-facing detail (for logs), e.g. "this looks like a JWE". Never sent to the client. */
  readonly hint: string | undefined;
  readonly requiredScopes: readonly string[] | undefined;
  /** The `acr` values a `requireAuthLevel` route accepts, announced as `acr_values`. */
  readonly acrValues: readonly string[] | undefined;
  /** The seconds a `requireAuthLevel` route allows since the user authenticated, announced as `max_age`. */
  readonly maxAge: number | undefined;
  readonly realm: string | undefined;
  /** Request headers this refusal depended on, sent in `Vary` (`Origin, Sec-Fetch-Site` once the CSRF check ran). */
  readonly vary: string | undefined;
  /** Seconds until the client may try again (`Retry-After`), for `client_blocked`. */
  readonly retryAfter: number | undefined;

  constructor(code: ErrorCode, message: string, options: JwtGuardErrorOptions = {}) {
    super(message, withoutStackUnlessConfig(code, options.cause));
    Error.stackTraceLimit = savedStackTraceLimit;
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.hint = options.hint;
    this.requiredScopes = options.requiredScopes;
    this.acrValues = options.acrValues;
    this.maxAge = options.maxAge;
    this.realm = options.realm;
    this.vary = options.vary;
    this.retryAfter = options.retryAfter;
  }

  /** The RFC 6750 `error` attribute, if this refusal has one. */
  get bearerError(): string | undefined {
    return ERROR_CODES[this.code].bearerError;
  }

  /**
   * A ready `WWW-Authenticate` header value (RFC 6750 §3) for 400, 401 and 403 answers. A 503 or
   * 500 gets none: a challenge there would tell the client to fetch a new token, which cannot help;
   * nor does a CSRF refusal (the token may be fine, the request's origin is the problem) or a
   * blocked client (a new token would not help either).
   */
  get wwwAuthenticate(): string | undefined {
    if (this.status >= 500 || this.code === 'csrf_check_failed' || this.code === 'client_blocked') return undefined;
    const params: string[] = [];
    if (this.realm !== undefined) params.push(`realm="${quotedStringSafe(this.realm)}"`);
    const bearerError = this.bearerError;
    if (bearerError !== undefined) {
      params.push(`error="${bearerError}"`);
      params.push(`error_description="${quotedStringSafe(this.message)}"`);
      if (this.requiredScopes && this.requiredScopes.length > 0) {
        params.push(`scope="${quotedStringSafe(this.requiredScopes.join(' '))}"`);
      }
      // RFC 9470 §3: what the user's authentication must be, so the client can ask for it.
      if (this.acrValues && this.acrValues.length > 0) params.push(`acr_values="${quotedStringSafe(this.acrValues.join(' '))}"`);
      if (this.maxAge !== undefined) params.push(`max_age="${this.maxAge}"`);
    }
    return params.length === 0 ? 'Bearer' : `Bearer ${params.join(', ')}`;
  }

  /** The JSON body every adapter sends: `{ error, error_description }`. */
  toJSON(): { error: ErrorCode; error_description: string } {
    return { error: this.code, error_description: this.message };
  }

  /** A copy of this error that announces `realm` in its `WWW-Authenticate` header. */
  withRealm(realm: string | undefined): JwtGuardError {
    if (realm === this.realm) return this;
    return copyWith(this, { realm });
  }

  /** A copy of this error whose response sends `Vary: <vary>` (the request headers it depended on). */
  withVary(vary: string | undefined): JwtGuardError {
    if (vary === this.vary) return this;
    return copyWith(this, { vary });
  }
}

/**
 * A copy with another realm or Vary. A module function, not a private method: a private member
 * would make the class nominal, and an app whose types load both our ESM and CJS declarations
 * (an `import` and a `require` of the adapters) would then see two incompatible JwtGuardErrors.
 */
function copyWith(error: JwtGuardError, changes: Pick<JwtGuardErrorOptions, 'realm' | 'vary'>): JwtGuardError {
  return new JwtGuardError(error.code, error.message, {
    hint: error.hint,
    requiredScopes: error.requiredScopes,
    acrValues: error.acrValues,
    maxAge: error.maxAge,
    realm: error.realm,
    vary: error.vary,
    retryAfter: error.retryAfter,
    cause: error.cause,
    ...changes,
  });
}

export function isJwtGuardError(value: unknown): value is JwtGuardError {
  return value instanceof JwtGuardError;
}

/**
 * RFC 6750 §3 limits error_description and scope to printable ASCII without `"` and `\`;
 * anything else (CR, LF, quotes, non-ASCII) is dropped so a header can never be split or broken.
 */
export function quotedStringSafe(value: string): string {
   
  return value.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '');
}

/** A start-up error: what is wrong and what to change. */
export function configError(message: string): JwtGuardError {
  return new JwtGuardError('config_invalid', `jwt-guard configuration: ${message}`);
}
