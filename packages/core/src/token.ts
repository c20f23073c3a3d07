import { isUtf8 } from 'node:buffer';
import { JwtGuardError } from './errors.js';
import type { TokenHeader } from './options.js';

/** The three segments of a compact JWS, each unpadded base64url (the signature and payload may be empty). */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;

/** 8 KiB: far above any real access token, far below what could make parsing costly. */
export const DEFAULT_MAX_TOKEN_LENGTH = 8192;

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
    throw malformed('a segment is not unpadded base64url');
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

/**
 * The payload as seen before the signature holds, for choosing keys (`getKey`'s result cache):
 * only `iss`, read when first asked for, by {@link untrustedIssuer}. Never a verdict.
 */
export class UntrustedPayload {
  readonly [claim: string]: unknown;
  #segment: string;
  #iss: string | null | undefined | false = false;

  constructor(segment: string) {
    this.#segment = segment;
  }

  get iss(): string | null | undefined {
    if (this.#iss === false) this.#iss = untrustedIssuer(this.#segment);
    return this.#iss;
  }
}

/**
 * The top-level `iss` of a payload whose signature is not checked yet: a string, `null` when it is
 * not a string, `undefined` when absent. For choosing among issuers and keys, never as a verdict.
 *
 * Not `JSON.parse`: one linear pass that checks the payload is valid JSON — so that a resolver
 * which reads the token itself agrees it is — and reads one member, without building anything.
 * Its cost is linear in the payload's length, whatever the shape. Refuses (`token_malformed`) a
 * payload that is not a JSON object, and one that names `iss` twice at the top: different parsers
 * would route it to different issuers.
 */
export function untrustedIssuer(segment: string): string | null | undefined {
  const text = segmentText(segment);
  const found = text === undefined ? NOT_AN_OBJECT : scanTopLevelIssuer(text);
  if (found === NOT_AN_OBJECT) throw malformed('the payload is not a JSON object');
  if (found === DUPLICATE_MEMBERS) throw malformed('the payload has duplicate member names');
  return found;
}

const NOT_AN_OBJECT = Symbol('not a JSON object');
/**
 * A JSON string, its escapes validated, from its opening quote (consumed). Linear: its alternatives
 * never overlap. Raw control characters are not allowed in a JSON string (RFC 8259 §7).
 */
// eslint-disable-next-line no-control-regex
const JSON_STRING = /"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9A-Fa-f]{4}))*"/y;
const JSON_NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const JSON_WHITESPACE = /[ \t\n\r]*/y;

/** After `{`: a name or `}`. After `[`: a value or `]`. After a value: `,` or a close. */
const OBJECT_START = 0;
const ARRAY_START = 1;
const NAME = 2;
const VALUE = 3;
const AFTER_VALUE = 4;

/** A strict JSON validator (RFC 8259) that remembers the top-level `iss`; iterative, one pass. */
function scanTopLevelIssuer(text: string): string | null | undefined | typeof NOT_AN_OBJECT | typeof DUPLICATE_MEMBERS {
  let index = skipWhitespace(text, 0);
  if (text.charCodeAt(index) !== 0x7b) return NOT_AN_OBJECT;
  index++;
  /** One entry per open container: true for an object. */
  const open: boolean[] = [true];
  let state = OBJECT_START;
  let iss: string | null | undefined;
  let readingIss = false;
  for (;;) {
    index = skipWhitespace(text, index);
    const code = text.charCodeAt(index);
    switch (state) {
      case OBJECT_START:
      case NAME: {
        if (state === OBJECT_START && code === 0x7d) {
          open.pop();
          index++;
          state = AFTER_VALUE;
          break;
        }
        const end = stringLiteralEnd(text, index);
        if (end === -1) return NOT_AN_OBJECT;
        if (open.length === 1 && namesIss(text, index, end)) {
          if (iss !== undefined) return DUPLICATE_MEMBERS;
          readingIss = true;
        }
        index = skipWhitespace(text, end);
        if (text.charCodeAt(index) !== 0x3a) return NOT_AN_OBJECT;
        index++;
        state = VALUE;
        break;
      }
      case ARRAY_START:
      case VALUE: {
        if (state === ARRAY_START && code === 0x5d) {
          open.pop();
          index++;
          state = AFTER_VALUE;
          break;
        }
        const isIss = readingIss;
        readingIss = false;
        if (code === 0x7b || code === 0x5b) {
          if (isIss) iss = null;
          open.push(code === 0x7b);
          index++;
          state = code === 0x7b ? OBJECT_START : ARRAY_START;
          break;
        }
        let end: number;
        if (code === 0x22) end = stringLiteralEnd(text, index);
        else if (text.startsWith('true', index)) end = index + 4;
        else if (text.startsWith('false', index)) end = index + 5;
        else if (text.startsWith('null', index)) end = index + 4;
        else end = matchEnd(JSON_NUMBER, text, index);
        if (end === -1 || end === index) return NOT_AN_OBJECT;
        if (isIss) iss = code === 0x22 ? (JSON.parse(text.slice(index, end)) as string) : null;
        index = end;
        state = AFTER_VALUE;
        break;
      }
      default: {
        if (open.length === 0) return index === text.length ? iss : NOT_AN_OBJECT;
        const inObject = open[open.length - 1]!;
        if (code === 0x2c) state = inObject ? NAME : VALUE;
        else if (code === (inObject ? 0x7d : 0x5d)) open.pop();
        else return NOT_AN_OBJECT;
        index++;
      }
    }
  }
}

function skipWhitespace(text: string, from: number): number {
  JSON_WHITESPACE.lastIndex = from;
  JSON_WHITESPACE.test(text);
  return JSON_WHITESPACE.lastIndex;
}

/** Where a sticky pattern's match starting at `from` ends; -1 when it does not match there. */
function matchEnd(pattern: RegExp, text: string, from: number): number {
  pattern.lastIndex = from;
  return pattern.test(text) ? pattern.lastIndex : -1;
}

/** The end (after the closing quote) of the valid JSON string literal at `from`, else -1. */
function stringLiteralEnd(text: string, from: number): number {
  return text.charCodeAt(from) === 0x22 ? matchEnd(JSON_STRING, text, from) : -1;
}

const ISS_CODES = [0x69, 0x73, 0x73] as const;

/** Whether the string literal text[start, end) — valid JSON — spells "iss", escapes included, without allocating. */
function namesIss(text: string, start: number, end: number): boolean {
  if (end - start === 5) return text.startsWith('"iss"', start);
  // Escaped: at most 3 characters of up to 6 code units each.
  if (end - start > 20) return false;
  let index = start + 1;
  for (const expected of ISS_CODES) {
    let code = text.charCodeAt(index);
    if (code === 0x5c) {
      if (text.charCodeAt(index + 1) !== 0x75) return false; // \" \\ \/ \b… are not letters
      code = Number.parseInt(text.slice(index + 2, index + 6), 16);
      index += 6;
    } else {
      index++;
    }
    if (code !== expected) return false;
  }
  return index === end - 1;
}

// --- shared ---------------------------------------------------------------------------------------

/** What decoding answers for JSON that names a member twice. */
const DUPLICATE_MEMBERS = Symbol('duplicate members');
/** What decoding answers for JSON with a "__proto__" member. */
const PROTOTYPE_KEY = Symbol('__proto__ member');

/**
 * Segments are decoded into this one buffer, then read as text: no buffer is allocated per token
 * (a fresh one of more than 4 KiB is allocated outside Node's pool, which costs more than the
 * decoding). A segment of a token longer than the default limit gets a buffer of its own.
 */
const scratch = Buffer.allocUnsafe(DEFAULT_MAX_TOKEN_LENGTH);

/** The UTF-8 text of a base64url segment (already checked to be canonical base64url). */
function segmentText(segment: string): string | undefined {
  if (Math.ceil((segment.length * 3) / 4) > scratch.length) return utf8Text(Buffer.from(segment, 'base64url'));
  return utf8Text(scratch.subarray(0, scratch.write(segment, 'base64url')));
}

/** Strict UTF-8 text: a malformed sequence is refused, not replaced. */
function utf8Text(bytes: Buffer): string | undefined {
  // A leading BOM stays in the text, so JSON.parse refuses it: a BOM is not part of a JOSE header or claims set.
  return bytes.length === 0 || !isUtf8(bytes) ? undefined : bytes.toString('utf8');
}

/**
 * A deeply frozen JSON object; DUPLICATE_MEMBERS for one that names a member twice, PROTOTYPE_KEY
 * for one with a "__proto__" member; undefined for anything else. `names`: the number of member
 * names in `text`, when already counted.
 */
function decodeJson(text: string, names?: number): Record<string, unknown> | typeof DUPLICATE_MEMBERS | typeof PROTOTYPE_KEY | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const properties = freezeAndCount(value);
  // JSON.parse keeps one property per distinct name, after unescaping ("a" and "\u0061" are one
  // name), so there is a duplicate exactly when the text has more member names than the parsed
  // value has properties.
  if ((names ?? countNameSeparators(text)) !== Math.abs(properties)) return DUPLICATE_MEMBERS;
  if (properties < 0) return PROTOTYPE_KEY;
  return value as Record<string, unknown>;
}

/**
 * Freezes every object and array in `value`, at any depth, and counts their properties; the count
 * is negative when some object has an own "__proto__" member. Iterative, so nesting depth cannot
 * exhaust the stack; linear, in the same pass that the duplicate-name check needs anyway.
 */
function freezeAndCount(value: object): number {
  let count = 0;
  let prototypeKey = false;
  const pending: object[] = [value];
  while (pending.length > 0) {
    const next = pending.pop()!;
    Object.freeze(next);
    if (Array.isArray(next)) {
      for (const item of next as unknown[]) if (typeof item === 'object' && item !== null) pending.push(item);
      continue;
    }
    for (const name of Object.keys(next)) {
      count++;
      if (name === '__proto__') prototypeKey = true;
      const item = (next as Record<string, unknown>)[name];
      if (typeof item === 'object' && item !== null) pending.push(item);
    }
  }
  return prototypeKey ? -count : count;
}

/**
 * How many member names valid JSON `text` has. Outside strings, every ":" of valid JSON ends a
 * member name, so counting those counts the names. Linear in the text, which maxTokenLength
 * bounds, and mostly native string search.
 */
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
    const end = stringEnd(text, quote);
    if (end === -1) return count; // unreachable for valid JSON
    from = end + 1;
    if (colon < from) colon = text.indexOf(':', from);
    quote = text.indexOf('"', from);
  }
  return count;
}

/** The index of the quote closing the string that opens at `quote`: the next one not escaped by an odd run of backslashes; -1 if none. */
function stringEnd(text: string, quote: number): number {
  let end = quote + 1;
  for (;;) {
    end = text.indexOf('"', end);
    if (end === -1) return -1;
    let backslash = end - 1;
    while (text.charCodeAt(backslash) === 0x5c) backslash--;
    if ((end - 1 - backslash) % 2 === 0) return end;
    end++;
  }
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
