import { HttpException } from '@nestjs/common';
import { errorResponse, type JwtGuardError } from '@jwt-guard/core';
import type { PlatformResponse } from './context.js';

/**
 * A refusal, as Nest's exception: status and body (`{ error, error_description }`) are those of the
 * core's `JwtGuardError` (`.error`), so Nest's default filter answers like every other adapter. An
 * app's own `@Catch(JwtGuardException)` filter can reshape the answer.
 */
export class JwtGuardException extends HttpException {
  /**
   * What a GraphQL server puts in the error's `extensions` (graphql-js copies an original error's
   * `extensions`): `errors[0].extensions.code` is the refusal's code, e.g. `insufficient_scope`.
   */
  readonly extensions: { code: JwtGuardError['code']; status: number };

  constructor(readonly error: JwtGuardError) {
    const body = error.toJSON();
    super(body, error.status, { cause: error });
    // Nest would name the class; logs and GraphQL's errors[0].message get the refusal's description.
    this.message = body.error_description;
    this.extensions = { code: error.code, status: error.status };
  }

  override getResponse(): { error: JwtGuardError['code']; error_description: string } {
    return this.error.toJSON();
  }
}

/** The body's own headers are set by the platform when the filter sends it; the others are set here. */
const SENT_WITH_BODY = new Set(['content-type', 'content-length']);

/**
 * Sets the refusal's `WWW-Authenticate`, `Cache-Control` and `Vary` on the platform response (the
 * core's `errorResponse`, as the other adapters send it) and returns the exception to throw.
 */
export function refusal(error: JwtGuardError, response: PlatformResponse | undefined): JwtGuardException {
  if (response !== undefined) {
    const { headers } = errorResponse(error, response.getHeader('vary'));
    for (const [name, value] of Object.entries(headers)) if (!SENT_WITH_BODY.has(name)) response.header(name, value);
  }
  return new JwtGuardException(error);
}
