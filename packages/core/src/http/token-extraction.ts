import { JwtGuardError } from '../errors.js';
import type { GuardRequest } from './request.js';

/** Finds the token in a request: a string, undefined when there is none, or a thrown `JwtGuardError`. */
export type TokenGetter = (request: GuardRequest) => string | undefined;

// b64token characters (RFC 6750 §2.1); "=" is accepted anywhere so that a badly padded JWT gets the
// precise 401 token_malformed from the JWT parser rather than a 400 for the header.
const BEARER = /^bearer[ ]+([A-Za-z0-9\-._~+/=]+)[ ]*$/i;
const B64TOKEN = /^[A-Za-z0-9\-._~+/=]+$/;
const ANY_SCHEME = /^\s*([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)(?:\s|$)/;

function invalidRequest(message: string, hint?: string): JwtGuardError {
  return new JwtGuardError('invalid_request', message, hint === undefined ? {} : { hint });
}

function single(request: GuardRequest, name: string): string | undefined {
  const value = request.headers[name];
  if (Array.isArray(value)) {
    if (value.length > 1) throw invalidRequest(`The request has more than one ${name} header.`);
    return value[0];
  }
  return value;
}

/**
 * The default: `Authorization: Bearer <token>` (RFC 6750 §2.1, scheme case-insensitive). Another
 * scheme (Basic, DPoP…) means no bearer token; a Bearer header that is not `Bearer <token68>` is a
 * malformed request; a token in the header and in the query at once is refused (RFC 6750 §2).
 */
export const fromAuthorizationHeader: TokenGetter = (request) => {
  const header = single(request, 'authorization');
  if (header === undefined || header === '') return undefined;
  const token = bearerToken(header);
  if (token !== undefined && request.url.includes('access_token=') && /[?&]access_token=/.test(request.url)) {
    throw invalidRequest('The access token was sent in more than one place.', 'Authorization header and access_token query parameter');
  }
  return token;
};

/**
 * The token of the form nearly every client sends, `Bearer <token>`, taken without any syntax check
 * (which costs ~1 ns a character): only for a cache lookup, which answers for nothing but a string
 * that passed every check when first verified. Undefined wherever `fromAuthorizationHeader` has
 * more to say (repeated header, a token in the query too).
 */
export function bearerCandidate(request: GuardRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string' || !header.startsWith('Bearer ') || request.url.includes('access_token=')) return undefined;
  return header.slice(7);
}

/** The token of a Bearer header; undefined for another scheme; throws for a malformed Bearer header. */
function bearerToken(header: string): string | undefined {
  // The form nearly every client sends, checked without regex captures: exactly "Bearer <token68>".
  if (header.startsWith('Bearer ')) {
    const rest = header.slice(7);
    if (B64TOKEN.test(rest)) return rest;
  }
  const scheme = ANY_SCHEME.exec(header)?.[1];
  if (scheme === undefined || scheme.toLowerCase() !== 'bearer') return undefined;
  const match = BEARER.exec(header);
  if (!match) throw invalidRequest('The Authorization header is malformed; expected "Bearer <token>".');
  return match[1];
}

/** Reads the token from a cookie. Needs a cookie parser (cookie-parser, @fastify/cookie; Koa has one). */
export function fromCookie(name: string): TokenGetter {
  if (typeof name !== 'string' || name === '') throw new TypeError('fromCookie(name) needs a cookie name.');
  return (request) => {
    if (request.cookie === undefined) {
      throw new JwtGuardError(
        'config_invalid',
        `jwt-guard configuration: fromCookie("${name}") found no parsed cookies; register a cookie parser (cookie-parser for Express, @fastify/cookie for Fastify) before the guard.`,
      );
    }
    const value = request.cookie(name);
    return value === undefined || value === '' ? undefined : value;
  };
}

/** Reads the token, as is, from a header such as `x-access-token`. */
export function fromHeader(name: string): TokenGetter {
  if (typeof name !== 'string' || name === '') throw new TypeError('fromHeader(name) needs a header name.');
  const lower = name.toLowerCase();
  return (request) => {
    const value = single(request, lower)?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
}
