import type { JwtGuardError } from '../errors.js';
import { appendVary } from './csrf.js';

/** The response every adapter sends for a refusal, so all three answer byte for byte the same. */
export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * The refusal's status, headers and JSON body. `existingVary` is the response's `Vary` so far (set
 * by CORS middleware, say): the refusal's own `Vary` fields are added to it, not put in its place.
 */
export function errorResponse(error: JwtGuardError, existingVary?: string | number | readonly string[]): ErrorResponse {
  const body = JSON.stringify(error.toJSON());
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': String(Buffer.byteLength(body)),
  };
  const challenge = error.wwwAuthenticate;
  if (challenge !== undefined) headers['www-authenticate'] = challenge;
  if (error.vary !== undefined) headers.vary = appendVary(existingVary, error.vary);
  if (error.retryAfter !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(error.retryAfter)));
  return { status: error.status, headers, body };
}
