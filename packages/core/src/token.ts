import { isUtf8 } from 'node:buffer';
import { JwtGuardError } from './errors.js';
import type { TokenHeader } from './options.js';

/** The three segments of a compact JWS, each unpadded base64url (the signature and payload may be empty). */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;

/** 8 KiB: far above any real access token, far below what could make parsing costly. */
export const DEFAULT_MAX_TOKEN_LENGTH = 8192;

export interface ParsedToken {
  header: TokenHeader;
  /** The payload, decoded without trusting it: to choose keys and for diagnostics, never as a verdict. */
  untrustedPayload: Record<string, unknown> | undefined;
  /** The payload bytes, for the claims check once the signature holds. */
  payloadBytes: Buffer;
  /** ASCII `header.payload`, what the signature covers. */
  signingInput: string;
  signature: Buffer;
}

/** What decoding answers for JSON that names a member twice. */
const DUPLICATE_MEMBERS = Symbol('duplicate members');

function malformed(hint: string): JwtGuardError {
  return new JwtGuardError('token_malformed', 'The access token is malformed.', { hint });
}

/**
 * Unpadded base64url in its one canonical form: the unused low bits of the last character must be
 * zero, so no two different strings decode to the same bytes (a token cannot be altered and stay
 * valid). The alphabet is checked once for the whole token; this looks at the segment's length and last character.
 */
function isCanonicalEnd(token: string, start: number, end: number): boolean {
  switch ((end - start) % 4) {
    case 1: return false;
    case 2: return 'AQgw'.includes(token[end - 1]!);
    case 3: return 'AEIMQUYcgkosw048'.includes(token[end - 1]!);
    default: return true;
  }
}

/**
 * Headers already decoded, by their base64url text. One issuer signs every token with the same
 * header, so this saves a decode, a JSON parse and a duplicate-name scan per token. Only headers
 * made of plain values are kept (a shallow copy is then a full one, so no caller shares state
 * with another), and only a few: a stream of distinct headers just starts it over.
 */
const decodedHeaders = new Map<string, TokenHeader>();
const MAX_DECODED_HEADERS = 64;

function decodeHeader(segment: string): TokenHeader {
  const known = decodedHeaders.get(segment);
  if (known !== undefined) return { ...known };
  const decoded = decodeJson(Buffer.from(segment, 'base64url'));
  if (decoded === DUPLICATE_MEMBERS) throw malformed('the header has duplicate member names');
  if (decoded === undefined) throw malformed('the header is not a JSON object');
  if (Object.values(decoded).every((value) => value === null || typeof value !== 'object')) {
    if (decodedHeaders.size >= MAX_DECODED_HEADERS) decodedHeaders.clear();
    decodedHeaders.set(segment, { ...decoded });
  }
  return decoded;
}

/**
 * Cheap structural checks before any cryptography: length, three canonical base64url segments, a
 * JSON object header in strict UTF-8. Refusing here keeps hostile input from costing more than a
 * valid token does.
 */
export function parseToken(token: unknown, maxTokenLength: number): ParsedToken {
  if (typeof token !== 'string' || token.length === 0) {
    throw new JwtGuardError('token_missing', 'No access token was provided.');
  }
  if (token.length > maxTokenLength) {
    throw new JwtGuardError('token_too_large', 'The access token is too large.', {
      hint: `${token.length} characters; maxTokenLength is ${maxTokenLength}`,
    });
  }
  const firstDot = token.indexOf('.');
  const secondDot = firstDot === -1 ? -1 : token.indexOf('.', firstDot + 1);
  if (secondDot === -1 || token.indexOf('.', secondDot + 1) !== -1) {
    const segments = token.split('.').length;
    if (segments === 5) {
      throw malformed('five segments: this looks like an encrypted JWE, not a signed JWT; jwt-guard verifies JWS only');
    }
    if (segments === 1) {
      throw malformed('no dots: this looks like an opaque access token; ask the issuer for JWT access tokens or introspect it');
    }
    throw malformed(`${segments} segments; a compact JWS has three`);
  }
  // An empty signature is well-formed here (alg "none" has one); the algorithm check refuses it next.
  // An empty payload is a valid JWS (never a valid JWT, which the claims layer then refuses).
  if (
    !COMPACT_JWS.test(token) ||
    !isCanonicalEnd(token, 0, firstDot) ||
    !isCanonicalEnd(token, firstDot + 1, secondDot) ||
    !isCanonicalEnd(token, secondDot + 1, token.length)
  ) {
    throw malformed('a segment is not unpadded base64url');
  }
  const header = decodeHeader(token.slice(0, firstDot));
  const payloadBytes = Buffer.from(token.slice(firstDot + 1, secondDot), 'base64url');
  const payload = decodeJson(payloadBytes);
  // RFC 7515 §5.2 / RFC 7519 §4: a JSON payload with duplicate member names is refused outright
  // (JSON.parse would silently keep the last one; another parser might keep the first).
  if (payload === DUPLICATE_MEMBERS) throw malformed('the payload has duplicate member names');
  return {
    header,
    untrustedPayload: payload,
    payloadBytes,
    signingInput: token.slice(0, secondDot),
    signature: Buffer.from(token.slice(secondDot + 1), 'base64url'),
  };
}

/** A JSON object from strict UTF-8, DUPLICATE_MEMBERS for one that names a member twice, or undefined. */
function decodeJson(bytes: Buffer): Record<string, unknown> | typeof DUPLICATE_MEMBERS | undefined {
  // Strict UTF-8: a malformed sequence is refused, not replaced. A leading BOM stays in the text,
  // so JSON.parse refuses it: a BOM is not part of a JOSE header or claims set.
  if (bytes.length === 0 || !isUtf8(bytes)) return undefined;
  const text = bytes.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return hasDuplicateMembers(text, value) ? DUPLICATE_MEMBERS : (value as Record<string, unknown>);
}

/**
 * Whether `text` — valid JSON, parsed into `value` — names a member of some object twice (RFC 7515
 * §5.2 lets a verifier refuse such input; JSON.parse silently keeps the last value). JSON.parse keeps
 * one property per distinct name, after unescaping ("a" and "\u0061" are one name), so there is a
 * duplicate exactly when the text has more member names than the parsed value has properties. Outside
 * strings, every ":" of valid JSON ends a member name, so counting those counts the names. Linear in
 * the text, which maxTokenLength bounds, and mostly native string search.
 */
function hasDuplicateMembers(text: string, value: object): boolean {
  return countNameSeparators(text) !== countProperties(value);
}

function countNameSeparators(text: string): number {
  let count = 0;
  let from = 0;
  let colon = text.indexOf(':');
  let quote = text.indexOf('"');
  while (colon !== -1) {
    if (quote === -1 || colon < quote) {
      count++;
      from = colon + 1;
      colon = text.indexOf(':', from);
      continue;
    }
    // Skip the string opening at `quote`: its end is the next quote not escaped by an odd run of backslashes.
    let end = quote + 1;
    for (;;) {
      end = text.indexOf('"', end);
      if (end === -1) return count; // unreachable for valid JSON
      let backslash = end - 1;
      while (text.charCodeAt(backslash) === 0x5c) backslash--;
      if ((end - 1 - backslash) % 2 === 0) break;
      end++;
    }
    from = end + 1;
    if (colon < from) colon = text.indexOf(':', from);
    quote = text.indexOf('"', from);
  }
  return count;
}

/** Properties of every object in `value`, at any depth; iterative, so nesting depth cannot exhaust the stack. */
function countProperties(value: object): number {
  let count = 0;
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next !== 'object' || next === null) continue;
    if (Array.isArray(next)) {
      for (const item of next) if (typeof item === 'object' && item !== null) pending.push(item);
      continue;
    }
    for (const name of Object.keys(next)) {
      count++;
      const item = (next as Record<string, unknown>)[name];
      if (typeof item === 'object' && item !== null) pending.push(item);
    }
  }
  return count;
}

/** A developer hint for tokens that are plainly the wrong kind: an OpenID Connect ID token. */
export function idTokenHint(header: TokenHeader, payload: Record<string, unknown> | undefined): string | undefined {
  const typ = typeof header.typ === 'string' ? header.typ.toLowerCase() : undefined;
  if (typ === 'id_token' || typ === 'application/id_token') return 'this is an ID token (typ); send the access token instead';
  if (payload && ('nonce' in payload || 'at_hash' in payload)) {
    return 'this looks like an OpenID Connect ID token (it has nonce/at_hash); send the access token instead';
  }
  return undefined;
}
