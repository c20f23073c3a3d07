import { unescape } from 'node:querystring';
import { JwtGuardError } from '../errors.js';
import type { RefusalFacts } from '../explanations.js';
import { isCookieName, readCookie } from './cookies.js';
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

const TWO_PLACES = 'The access token was sent in more than one place.';

/**
 * How often the header `name` (lower case) was sent. Node keeps only the first of repeated
 * `Authorization` headers in `headers`, so the raw list is counted when the adapter gives it. Only
 * names of the same length are compared, the usual spellings without lower-casing (which would
 * allocate): a few nanoseconds a request.
 */
function headerCount(request: GuardRequest, name: string, capitalised = name): number {
  const raw = request.rawHeaders;
  if (raw === undefined) {
    const value = request.headers[name];
    return value === undefined ? 0 : Array.isArray(value) ? value.length : 1;
  }
  let count = 0;
  for (let index = 0; index < raw.length; index += 2) {
    const header = raw[index]!;
    if (header.length === name.length && (header === capitalised || header === name || header.toLowerCase() === name)) count++;
  }
  return count;
}

function single(request: GuardRequest, name: string): string | undefined {
  const count = headerCount(request, name, name === 'authorization' ? 'Authorization' : name);
  if (count > 1) throw invalidRequest(`The request has more than one ${name} header.`);
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

const NONE: readonly string[] = Object.freeze([]);

/** False when the URL has no query, or one without `access_token` and without any `%` escape. */
function queryMayHoldToken(url: string): boolean {
  const mark = url.indexOf('?');
  return mark !== -1 && (url.includes('access_token', mark) || url.includes('%', mark));
}

/**
 * The values of every `access_token` query parameter (RFC 6750 §2.3), names and values decoded as
 * the application's query parser decodes them (`?access%5Ftoken=` is one too). Empty when the
 * query cannot hold one, found without decoding anything.
 */
export function queryTokens(url: string): readonly string[] {
  if (!queryMayHoldToken(url)) return NONE;
  const mark = url.indexOf('?');
  const hash = url.indexOf('#', mark);
  const values: string[] = [];
  for (const pair of url.slice(mark + 1, hash === -1 ? undefined : hash).split('&')) {
    const eq = pair.indexOf('=');
    const name = eq === -1 ? pair : pair.slice(0, eq);
    if (name === 'access_token' || (name.includes('%') && unescape(name) === 'access_token')) {
      values.push(eq === -1 ? '' : unescape(pair.slice(eq + 1).replaceAll('+', ' ')));
    }
  }
  return values;
}

/**
 * The default: `Authorization: Bearer <token>` (RFC 6750 §2.1, scheme case-insensitive). Another
 * scheme (Basic, DPoP…) means no bearer token; a Bearer header that is not `Bearer <token68>` is a
 * malformed request; a repeated `Authorization` header, or a token in the header and in an
 * `access_token` query parameter at once, is refused (RFC 6750 §2).
 */
export const fromAuthorizationHeader: TokenGetter = (request) => {
  const header = single(request, 'authorization');
  if (header === undefined || header === '') return undefined;
  const token = bearerToken(header);
  if (token !== undefined && queryTokens(request.url).length > 0) {
    throw invalidRequest(TWO_PLACES, 'Authorization header and access_token query parameter');
  }
  return token;
};

/**
 * The token of the form nearly every client sends, `Bearer <token>`, taken without any syntax check
 * (which costs ~1 ns a character): only for a cache lookup, which answers for nothing but a string
 * that passed every check when first verified. Undefined wherever `fromAuthorizationHeader` may
 * have more to say (a repeated header, a query that may hold a token).
 */
export function bearerCandidate(request: GuardRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string' || !header.startsWith('Bearer ') || queryMayHoldToken(request.url)) return undefined;
  if (headerCount(request, 'authorization', 'Authorization') > 1) return undefined;
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

/** Where a getter reads the token, so that the guard can tell its place from the others. */
export type TokenPlace =
  | { kind: 'authorization' }
  | { kind: 'cookie'; name: string }
  | { kind: 'header'; name: string }
  | { kind: 'custom' };

const PLACES = new WeakMap<TokenGetter, TokenPlace>([[fromAuthorizationHeader, { kind: 'authorization' }]]);

export function placeOf(getter: TokenGetter): TokenPlace {
  return PLACES.get(getter) ?? { kind: 'custom' };
}

/**
 * RFC 6750 §2: a client must not send the token in more than one place. Whatever the getter, the
 * request is `400 invalid_request` when more than one of these carries credentials: a Bearer
 * `Authorization` header (valid or not; sent twice is refused too), an `access_token` query
 * parameter (each one), and the place the getter read `token` from. A custom getter's token counts
 * as a place of its own unless it equals the Bearer header's or a query parameter's (where it may
 * have read it). (The default getter checks this itself.)
 */
export function assertOnePlace(request: GuardRequest, place: TokenPlace, token: string | undefined): void {
  const places: string[] = [];
  let bearer: string | undefined;
  if (!(place.kind === 'header' && place.name === 'authorization')) {
    const header = single(request, 'authorization');
    if (header !== undefined && ANY_SCHEME.exec(header)?.[1]?.toLowerCase() === 'bearer') {
      places.push('Authorization header');
      bearer = /^\s*\S+\s+(\S+)\s*$/.exec(header)?.[1];
    }
  }
  const query = queryTokens(request.url);
  places.push(...query.map(() => 'access_token query parameter'));
  if (token !== undefined) {
    if (place.kind === 'cookie') places.push(`${place.name} cookie`);
    else if (place.kind === 'header') places.push(`${place.name} header`);
    else if (token !== bearer && !query.includes(token)) places.push('getToken');
  }
  if (places.length > 1) throw invalidRequest(TWO_PLACES, places.join(' and '));
}

/**
 * Reads the token from a cookie. No cookie parser is needed: the guard reads the `Cookie` header
 * itself, by one rule on every framework (see `readCookie`: quotes, `%XX` escapes). A request whose
 * token is in the cookie and also in an `Authorization: Bearer` header or an `access_token` query
 * parameter, or which sends the cookie twice, is `400 invalid_request`.
 */
export function fromCookie(name: string): TokenGetter {
  if (!isCookieName(name)) throw new TypeError('fromCookie(name) needs a cookie name (letters, digits and !#$%&\'*+-.^_`|~).');
  const getter: TokenGetter = (request) => {
    const value = readCookie(request.headers.cookie, name);
    return value === undefined || value === '' ? undefined : value;
  };
  PLACES.set(getter, { kind: 'cookie', name });
  return getter;
}

/**
 * Reads the token, as is, from a header such as `x-access-token`. Sent twice, or beside a Bearer
 * `Authorization` header or an `access_token` query parameter, is `400 invalid_request`.
 */
export function fromHeader(name: string): TokenGetter {
  if (typeof name !== 'string' || name === '') throw new TypeError('fromHeader(name) needs a header name.');
  const lower = name.toLowerCase();
  const getter: TokenGetter = (request) => {
    const value = single(request, lower)?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  PLACES.set(getter, { kind: 'header', name: lower });
  return getter;
}

function placeWords(place: TokenPlace): string | undefined {
  switch (place.kind) {
    case 'authorization': return undefined;
    case 'cookie': return `the ${place.name} cookie`;
    case 'header': return `the ${place.name} header`;
    case 'custom': return 'the place the custom getToken reads';
  }
}

/**
 * Why no token was found, for the hint: the most common cause is a token sent where the getter
 * does not look (a Bearer header while getToken reads a cookie), or under another scheme (Basic).
 * Only header names and the scheme are read, never a credential.
 */
export function missingTokenFacts(request: GuardRequest, place: TokenPlace): RefusalFacts {
  const header = request.headers.authorization;
  const value = Array.isArray(header) ? header[0] : header;
  const scheme = typeof value === 'string' ? /^\s*([^\s]+)/.exec(value)?.[1] : undefined;
  const bearer = scheme !== undefined && scheme.toLowerCase() === 'bearer';
  return {
    tokenPlace: placeWords(place),
    tokenPlaceKind: place.kind,
    bearerHeaderPresent: bearer && place.kind !== 'authorization',
    otherScheme: scheme !== undefined && !bearer && place.kind === 'authorization' ? scheme.slice(0, 32) : undefined,
  };
}
