import { DUPLICATE_MEMBERS, malformed, segmentText } from './token-json.js';

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
