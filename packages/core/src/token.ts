import { JwtGuardError } from './errors.js';
import type { TokenHeader } from './options.js';

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** 8 KiB: far above any real access token, far below what could make parsing costly. */
export const DEFAULT_MAX_TOKEN_LENGTH = 8192;

export interface ParsedToken {
  header: TokenHeader;
  /** The payload, decoded without trusting it: to choose keys and for diagnostics, never as a verdict. */
  untrustedPayload: Record<string, unknown> | undefined;
  /** The payload bytes, for the claims check once the signature holds. */
  payloadBytes: Buffer;
  /** ASCII `header.payload`, what the signature covers. */
  signingInput: Buffer;
  signature: Buffer;
}

// ignoreBOM keeps a leading U+FEFF in the text, so JSON.parse refuses it: a BOM is not part of a JOSE header or claims set.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function malformed(hint: string): JwtGuardError {
  return new JwtGuardError('token_malformed', 'The access token is malformed.', { hint });
}

/**
 * Unpadded base64url in its one canonical form: the unused low bits of the last character must be
 * zero, so no two different strings decode to the same bytes (a token cannot be altered and stay valid).
 */
function isCanonicalBase64url(segment: string): boolean {
  if (!BASE64URL.test(segment)) return false;
  switch (segment.length % 4) {
    case 1: return false;
    case 2: return 'AQgw'.includes(segment[segment.length - 1]!);
    case 3: return 'AEIMQUYcgkosw048'.includes(segment[segment.length - 1]!);
    default: return true;
  }
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
  const segments = token.split('.');
  if (segments.length === 5) {
    throw malformed('five segments: this looks like an encrypted JWE, not a signed JWT; jwt-guard verifies JWS only');
  }
  if (segments.length === 1) {
    throw malformed('no dots: this looks like an opaque access token; ask the issuer for JWT access tokens or introspect it');
  }
  if (segments.length !== 3) throw malformed(`${segments.length} segments; a compact JWS has three`);
  const [headerPart, payloadPart, signaturePart] = segments as [string, string, string];
  // An empty signature is well-formed here (alg "none" has one); the algorithm check refuses it next.
  // An empty payload is a valid JWS (never a valid JWT, which the claims layer then refuses).
  const canonical = (part: string) => part === '' || isCanonicalBase64url(part);
  if (!isCanonicalBase64url(headerPart) || !canonical(payloadPart) || !canonical(signaturePart)) {
    throw malformed('a segment is not unpadded base64url');
  }
  const headerBytes = Buffer.from(headerPart, 'base64url');
  const header = decodeJsonObject(headerBytes);
  if (header === undefined) {
    throw malformed(isJsonWithDuplicateMembers(headerBytes) ? 'the header has duplicate member names' : 'the header is not a JSON object');
  }
  const payloadBytes = Buffer.from(payloadPart, 'base64url');
  const untrustedPayload = decodeJsonObject(payloadBytes);
  // RFC 7515 §5.2 / RFC 7519 §4: a JSON payload with duplicate member names is refused outright
  // (JSON.parse would silently keep the last one; another parser might keep the first).
  if (untrustedPayload === undefined && payloadBytes.length > 0 && payloadBytes[0] === 0x7b && isJsonWithDuplicateMembers(payloadBytes)) {
    throw malformed('the payload has duplicate member names');
  }
  return {
    header,
    untrustedPayload,
    payloadBytes,
    signingInput: Buffer.from(`${headerPart}.${payloadPart}`, 'latin1'),
    signature: Buffer.from(signaturePart, 'base64url'),
  };
}

/** A JSON object from strict UTF-8 without duplicate member names (at any depth), or undefined. */
export function decodeJsonObject(bytes: Uint8Array): Record<string, unknown> | undefined {
  try {
    const text = utf8.decode(bytes);
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    return hasDuplicateMembers(text) ? undefined : (value as Record<string, unknown>);
  } catch {
    return undefined;
  }
}

/** True for strict-UTF-8 valid JSON that has duplicate member names somewhere. */
function isJsonWithDuplicateMembers(bytes: Uint8Array): boolean {
  try {
    const text = utf8.decode(bytes);
    JSON.parse(text);
    return hasDuplicateMembers(text);
  } catch {
    return false;
  }
}

/**
 * Whether an object in `text` — already known to be valid JSON — names a member twice (RFC 7515
 * §5.2 lets a verifier refuse such input; JSON.parse would silently keep the last value). One
 * iterative pass, no recursion: the work is linear in the text, which maxTokenLength bounds. Names
 * are compared after unescaping, so "a" and "\u0061" are the same name.
 */
function hasDuplicateMembers(text: string): boolean {
  // One entry per open container: the names seen so far for an object, null for an array.
  const stack: (Set<string> | null)[] = [];
  let expectName = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22 /* " */) {
      const start = i;
      let escaped = false;
      for (i++; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (escaped) escaped = false;
        else if (c === 0x5c /* \ */) escaped = true;
        else if (c === 0x22) break;
      }
      const names = stack.length > 0 ? stack[stack.length - 1] : undefined;
      if (expectName && names) {
        const raw = text.slice(start, i + 1);
        const name = raw.includes('\\') ? (JSON.parse(raw) as string) : raw.slice(1, -1);
        if (names.has(name)) return true;
        names.add(name);
        expectName = false;
      }
    } else if (ch === 0x7b /* { */) {
      stack.push(new Set());
      expectName = true;
    } else if (ch === 0x5b /* [ */) {
      stack.push(null);
      expectName = false;
    } else if (ch === 0x7d /* } */ || ch === 0x5d /* ] */) {
      stack.pop();
      expectName = false;
    } else if (ch === 0x2c /* , */) {
      expectName = stack.length > 0 && stack[stack.length - 1] !== null;
    }
  }
  return false;
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
