import type { JwtGuardError } from '../errors.js';
import type { JWTPayload, JwtGuardClaims, TokenHeader } from '../options.js';

/** Passed to `onVerified`: what was verified, never the token itself. */
export interface VerifiedEvent<Claims extends JWTPayload = JwtGuardClaims> {
  header: TokenHeader;
  payload: Claims;
  scopes: ReadonlySet<string>;
  /** Wall time of verification, in milliseconds. */
  durationMs: number;
  method: string;
  /** The request's path, without its query string (which may carry credentials: `?access_token=`). */
  url: string;
}

/** Passed to `onRejected`: the stable reason `code`, and a developer `hint`; never the token. */
export interface RejectedEvent {
  code: JwtGuardError['code'];
  status: number;
  error: JwtGuardError;
  /**
   * Developer-facing detail: what was expected and what the token had (`explainRefusal`), e.g. "the
   * token's iss is … but … is expected". Set for every refusal the guard reports (the type keeps
   * `undefined` for events made by hand); never the token; not sent to the client.
   */
  hint: string | undefined;
  /** True when the request went on as anonymous despite the refusal (`credentialsRequired: false`). */
  passedAsAnonymous: boolean;
  durationMs: number;
  method: string;
  /** The request's path, without its query string (which may carry credentials: `?access_token=`). */
  url: string;
}

/** The path of a request URL: a query string (or a fragment) may carry credentials, so events never hold one. */
export function pathOf(url: string): string {
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}
