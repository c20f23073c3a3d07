import { JwtGuardError } from './errors.js';
import type { TokenHeader } from './options.js';
import { decodeJson, DUPLICATE_MEMBERS, malformed, PROTOTYPE_KEY, segmentText, stringEnd, utf8Text } from './token-json.js';

export { DEFAULT_MAX_TOKEN_LENGTH } from './token-json.js';

/** The three segments of a compact JWS, each unpadded base64url (the signature and payload may be empty). */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;

/**
 * What is read of a token before its signature is checked: the structure and the header, nothing
 * of the payload. Parsing the payload first would let anyone make the guard parse whatever they
 * like (deep nesting, thousands of members) at the cost of a forged signature; it is decoded only
 * once the signature holds ({@link decodePayload}).
 */
export interface ParsedToken {
  /** The JOSE header: a plain JSON object, deeply frozen. */
  header: TokenHeader;
  /** The payload segment (base64url), undecoded. */
  payloadSegment: string;
  /** ASCII `header.payload`, what the signature covers. */
  signingInput: string;
  signature: Buffer;
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
 * Cheap structural checks, then the header — the only part read before the signature: length,
 * three canonical base64url segments, a header that is a plain JSON object in strict UTF-8.
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
  // An empty payload is a valid JWS (never a valid JWT, which decodePayload then refuses).
  if (
    !COMPACT_JWS.test(token) ||
    !isCanonicalEnd(token, 0, firstDot) ||
    !isCanonicalEnd(token, firstDot + 1, secondDot) ||
    !isCanonicalEnd(token, secondDot + 1, token.length)
  ) {
    throw malformed('a segment is not canonical unpadded base64url (padding, +, / or stray bits)');
  }
  return {
    header: decodeHeader(token.slice(0, firstDot)),
    payloadSegment: token.slice(firstDot + 1, secondDot),
    signingInput: token.slice(0, secondDot),
    signature: Buffer.from(token.slice(secondDot + 1), 'base64url'),
  };
}

// --- the header: bounded, then parsed --------------------------------------------------------------

/**
 * Headers already decoded, by their base64url text. One issuer signs every token with the same
 * header, so this saves a decode, a JSON parse and a duplicate-name scan per token. Headers are
 * deeply frozen, so every token with that header can share one object. Only a few are kept, and
 * only short ones (an issuer's header is a few dozen characters; hashing and keeping long keys
 * would cost more than it saves): a stream of distinct headers just starts it over.
 */
const decodedHeaders = new Map<string, TokenHeader>();
const MAX_DECODED_HEADERS = 64;
const MAX_DECODED_HEADER_LENGTH = 512;

/**
 * A JOSE header is a flat object of a few parameters (a `jwk` or `x5c` adds a level or two), and it
 * is parsed before the signature is checked, so its shape is bounded before `JSON.parse` sees it:
 * nesting, values (members and array elements) and characters outside strings. `JSON.parse` costs
 * far more per byte on deep nesting and on wide objects than on strings; within these bounds it
 * costs about what a valid header does. Strings (a long `kid`, `x5c` certificates) are not bounded
 * here beyond `maxTokenLength`: they parse at the cost of copying them.
 */
const MAX_HEADER_DEPTH = 4;
const MAX_HEADER_VALUES = 32;
const MAX_HEADER_PLAIN_CHARACTERS = 512;

function decodeHeader(segment: string): TokenHeader {
  const cacheable = segment.length <= MAX_DECODED_HEADER_LENGTH;
  const known = cacheable ? decodedHeaders.get(segment) : undefined;
  if (known !== undefined) return known;
  const text = segmentText(segment);
  if (text === undefined) throw malformed('the header is not a JSON object');
  const names = headerNames(text);
  if (names === -1) {
    throw malformed(
      `the header is not a plain JOSE header (more than ${MAX_HEADER_DEPTH} levels of nesting, ${MAX_HEADER_VALUES} values or ${MAX_HEADER_PLAIN_CHARACTERS} characters outside strings)`,
    );
  }
  const decoded = decodeJson(text, names);
  if (decoded === undefined) throw malformed('the header is not a JSON object');
  if (decoded === DUPLICATE_MEMBERS) throw malformed('the header has duplicate member names');
  if (decoded === PROTOTYPE_KEY) throw malformed('the header has a "__proto__" member');
  if (cacheable) {
    if (decodedHeaders.size >= MAX_DECODED_HEADERS) decodedHeaders.clear();
    decodedHeaders.set(segment, decoded);
  }
  return decoded;
}

/**
 * -1 if `text` goes beyond the header bounds; else how many member names it has (the ":" outside
 * strings), for the duplicate-name check. One pass that skips strings with native searches and
 * stops at the first bound crossed, so its cost is bounded too. It only counts: text that is not
 * JSON passes here and `JSON.parse` refuses it next.
 */
function headerNames(text: string): number {
  let depth = 0;
  let values = 1; // and one more after each comma
  let plain = 0;
  let names = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === 0x22) {
      const end = stringEnd(text, index);
      if (end === -1) return names;
      index = end;
      continue;
    }
    if (++plain > MAX_HEADER_PLAIN_CHARACTERS) return -1;
    if (code === 0x3a) {
      names++;
    } else if (code === 0x7b || code === 0x5b) {
      if (++depth > MAX_HEADER_DEPTH) return -1;
    } else if (code === 0x7d || code === 0x5d) {
      depth--;
    } else if (code === 0x2c && ++values > MAX_HEADER_VALUES) {
      return -1;
    }
  }
  return names;
}

// --- the payload: after the signature -------------------------------------------------------------

/**
 * The payload of a token whose signature holds: a JSON object in strict UTF-8, deeply frozen (one
 * request's code cannot change what another request sees of the same cached token). Refused as
 * `token_malformed`: anything else, duplicate member names (RFC 7515 §5.2 / RFC 7519 §4:
 * JSON.parse would silently keep the last one; another parser might keep the first), and a
 * `"__proto__"` member at any depth (JSON.parse makes it an own property, which `Object.assign`, a
 * spread into a class or a deep merge then turn into a prototype change).
 */
export function decodePayload(segment: string): Record<string, unknown> {
  const text = segmentText(segment);
  const decoded = text === undefined ? undefined : decodeJson(text);
  if (decoded === undefined) throw malformed('the payload is not a JSON object: not a JWT');
  if (decoded === DUPLICATE_MEMBERS) throw malformed('the payload has duplicate member names');
  if (decoded === PROTOTYPE_KEY) throw malformed('the payload has a "__proto__" member');
  return decoded;
}

/**
 * For `createJwsVerifier`, whose payload need not be JSON: a payload that is a JSON object is held
 * to the same rules as a JWT's (no duplicate names), so the signature layer refuses what the full
 * verifier refuses. Once the signature holds.
 */
export function checkJwsPayload(payload: Buffer): void {
  const text = utf8Text(payload);
  const decoded = text === undefined ? undefined : decodeJson(text);
  if (decoded === DUPLICATE_MEMBERS) throw malformed('the payload has duplicate member names');
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
