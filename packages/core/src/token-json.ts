/**
 * What every part of a token is decoded with: base64url segments to strict UTF-8 text, and JSON
 * objects parsed, frozen and checked for duplicate and prototype-changing member names.
 */
import { isUtf8 } from 'node:buffer';
import { JwtGuardError } from './errors.js';

/** 8 KiB: far above any real access token, far below what could make parsing costly. */
export const DEFAULT_MAX_TOKEN_LENGTH = 8192;

export function malformed(hint: string): JwtGuardError {
  return new JwtGuardError('token_malformed', 'The access token is malformed.', { hint });
}

/** What decoding answers for JSON that names a member twice. */
export const DUPLICATE_MEMBERS = Symbol('duplicate members');
/** What decoding answers for JSON with a "__proto__" member. */
export const PROTOTYPE_KEY = Symbol('__proto__ member');

/**
 * Segments are decoded into this one buffer, then read as text: no buffer is allocated per token
 * (a fresh one of more than 4 KiB is allocated outside Node's pool, which costs more than the
 * decoding). A segment of a token longer than the default limit gets a buffer of its own.
 */
const scratch = Buffer.allocUnsafe(DEFAULT_MAX_TOKEN_LENGTH);

/** The UTF-8 text of a base64url segment (already checked to be canonical base64url). */
export function segmentText(segment: string): string | undefined {
  if (Math.ceil((segment.length * 3) / 4) > scratch.length) return utf8Text(Buffer.from(segment, 'base64url'));
  return utf8Text(scratch.subarray(0, scratch.write(segment, 'base64url')));
}

/** Strict UTF-8 text: a malformed sequence is refused, not replaced. */
export function utf8Text(bytes: Buffer): string | undefined {
  // A leading BOM stays in the text, so JSON.parse refuses it: a BOM is not part of a JOSE header or claims set.
  return bytes.length === 0 || !isUtf8(bytes) ? undefined : bytes.toString('utf8');
}

/**
 * A deeply frozen JSON object; DUPLICATE_MEMBERS for one that names a member twice, PROTOTYPE_KEY
 * for one with a "__proto__" member; undefined for anything else. `names`: the number of member
 * names in `text`, when already counted.
 */
export function decodeJson(text: string, names?: number): Record<string, unknown> | typeof DUPLICATE_MEMBERS | typeof PROTOTYPE_KEY | undefined {
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
export function stringEnd(text: string, quote: number): number {
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
