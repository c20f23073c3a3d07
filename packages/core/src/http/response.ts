import type { JwtGuardError } from '../errors.js';

/** The response every adapter sends for a refusal, so all three answer byte for byte the same. */
export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export function errorResponse(error: JwtGuardError): ErrorResponse {
  const body = JSON.stringify(error.toJSON());
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': String(Buffer.byteLength(body)),
  };
  const challenge = error.wwwAuthenticate;
  if (challenge !== undefined) headers['www-authenticate'] = challenge;
  return { status: error.status, headers, body };
}
