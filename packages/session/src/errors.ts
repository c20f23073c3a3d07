/**
 * Every refusal a session can make, with its HTTP status. The `code` is the stable part: the
 * handlers (a later step) send it in the JSON body, clients and dashboards key on it.
 */
export const SESSION_ERROR_CODES = {
  /** No refresh token in the request. */
  refresh_token_missing: { status: 401, message: 'No refresh token was sent.' },
  /** Not a refresh token of this server: malformed, unknown family, or too many live successors. */
  refresh_token_invalid: { status: 401, message: 'The refresh token is not valid.' },
  /** A rotated refresh token presented again after the reuse interval: the whole family is revoked. */
  refresh_token_reused: { status: 401, message: 'The refresh token was already used; the session has been ended.' },
  /** The family was revoked (logout), or is past its absolute lifetime or idle timeout. */
  session_expired: { status: 401, message: 'The session has ended; log in again.' },
  /** The session store threw or rejected: the server's fault, not the client's. */
  session_store_unavailable: { status: 503, message: 'Sessions are temporarily unavailable; try again later.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type SessionErrorCode = keyof typeof SESSION_ERROR_CODES;

/**
 * The error `refresh` (and `login`, for the store) throws. `message` is safe to send to a client:
 * it never contains the token, its hash or the family id; `hint` is developer detail for logs.
 */
export class SessionError extends Error {
  override readonly name = 'SessionError';
  readonly code: SessionErrorCode;
  readonly status: number;
  /** Developer-facing detail (for logs); never sent to the client, never the token. */
  readonly hint: string | undefined;

  constructor(code: SessionErrorCode, options: { hint?: string; cause?: unknown } = {}) {
    super(SESSION_ERROR_CODES[code].message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = SESSION_ERROR_CODES[code].status;
    this.hint = options.hint;
  }

  /** The JSON body the handlers send: `{ error, error_description }`, as the guard's refusals. */
  toJSON(): { error: SessionErrorCode; error_description: string } {
    return { error: this.code, error_description: this.message };
  }
}

export function isSessionError(value: unknown): value is SessionError {
  return value instanceof SessionError;
}
