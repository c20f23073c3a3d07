/**
 * untrustedIssuer: the one thing read of a payload before its signature holds (to route among
 * issuers, and for getKey's result cache). It must agree with JSON.parse on what is JSON and on
 * the top-level `iss`, for any input, without parsing.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { createVerifier } from '@jwt-guard/core';
import { decodePayload } from '../src/token.js';
import { untrustedIssuer } from '../src/untrusted-issuer.js';
import { CLAIM_OPTIONS, ISSUER, rejection, rsaPair, sign, validClaims } from './helpers.js';

const segment = (text: string) => Buffer.from(text).toString('base64url');

/** What untrustedIssuer answers: the value, or the hint it refuses with. */
function scan(text: string): { iss: string | null | undefined } | { refused: string | undefined } {
  try {
    return { iss: untrustedIssuer(segment(text)) };
  } catch (error) {
    return { refused: (error as { hint?: string }).hint };
  }
}

/** The same from JSON.parse: the top-level iss of a JSON object, or undefined if the text is not one. */
function reference(text: string): { iss: string | null | undefined } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  if (!Object.hasOwn(value, 'iss')) return { iss: undefined };
  const iss = (value as { iss: unknown }).iss;
  return { iss: typeof iss === 'string' ? iss : null };
}

const spaced = (text: string, spaces: readonly number[]) => {
  // Insert JSON whitespace after structural characters outside strings.
  let inString = false;
  let out = '';
  let n = 0;
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    out += char;
    if (inString && char === '\\') out += text[++index]!;
    else if (char === '"') inString = !inString;
    else if (!inString && '{}[],:'.includes(char)) out += [' ', '\n', '\t', '\r', ''][spaces[n++ % spaces.length]! % 5];
  }
  return out;
};

const value = fc.jsonValue({ maxDepth: 3 });
const issValue = fc.oneof(fc.string({ maxLength: 12 }), fc.constant('https://issuer.example/'), value);
const payload = fc.record({ before: fc.dictionary(fc.string({ maxLength: 5 }), value, { maxKeys: 4 }), iss: fc.option(issValue), after: fc.dictionary(fc.string({ maxLength: 5 }), value, { maxKeys: 4 }) });

function textOf({ before, iss, after }: { before: Record<string, unknown>; iss: unknown; after: Record<string, unknown> }): string {
  const object: Record<string, unknown> = {};
  for (const [name, item] of Object.entries(before)) if (name !== 'iss') object[name] = item;
  if (iss !== null) object.iss = iss;
  for (const [name, item] of Object.entries(after)) if (name !== 'iss' && !(name in object)) object[name] = item;
  return JSON.stringify(object);
}

describe('untrustedIssuer', () => {
  it('reads the top-level iss exactly as JSON.parse does, however the JSON is spaced', () => {
    fc.assert(
      fc.property(payload, fc.array(fc.nat(), { minLength: 1, maxLength: 8 }), (parts, spaces) => {
        const text = spaced(textOf(parts), spaces);
        expect(scan(text)).toEqual(reference(text));
      }),
      { numRuns: 3000, seed: 20261201 },
    );
  });

  it('agrees with JSON.parse on what is a JSON object, for text one edit away from one', () => {
    const edit = fc.record({ at: fc.nat(), kind: fc.constantFrom('insert', 'delete', 'replace'), char: fc.constantFrom('"', '\\', '{', '}', '[', ']', ',', ':', ' ', 'a', '1', '-', '.', 'e', 'u', '\u0001', 'é') });
    fc.assert(
      fc.property(payload, edit, (parts, { at, kind, char }) => {
        const valid = textOf(parts);
        const index = at % (valid.length + 1);
        const text = kind === 'insert' ? valid.slice(0, index) + char + valid.slice(index) : valid.slice(0, index) + (kind === 'replace' ? char : '') + valid.slice(index + 1);
        const expected = reference(text);
        const seen = scan(text);
        if (expected === undefined) {
          expect(seen, JSON.stringify(text)).toEqual({ refused: 'the payload is not a JSON object' });
        } else if ('refused' in seen) {
          // The one other refusal: iss twice at the top, which the full decoder refuses too.
          expect(seen.refused).toBe('the payload has duplicate member names');
          expect(() => decodePayload(segment(text))).toThrow(expect.objectContaining({ hint: 'the payload has duplicate member names' }));
        } else {
          expect(seen, JSON.stringify(text)).toEqual(expected);
        }
      }),
      { numRuns: 5000, seed: 20261201 },
    );
  });

  it('reads an escaped name, and refuses iss named twice at the top however it is written', () => {
    expect(scan('{"\\u0069ss":"a"}')).toEqual({ iss: 'a' });
    expect(scan('{"i\\u0073\\u0073":"a\\u0062"}')).toEqual({ iss: 'ab' });
    expect(scan('{"i\\u0073":"a","iss2":"b","is":"c"}')).toEqual({ iss: undefined });
    for (const text of ['{"iss":"a","iss":"b"}', '{"iss":"a","\\u0069ss":"b"}', '{"iss":1,"x":{"iss":2},"iss":"b"}']) {
      expect(scan(text), text).toEqual({ refused: 'the payload has duplicate member names' });
    }
    // Nested: not the top-level iss, and not a duplicate of it.
    expect(scan('{"x":{"iss":"a"},"iss":"b","y":[{"iss":"c"}]}')).toEqual({ iss: 'b' });
  });

  it('refuses what is not a JSON object: non-JSON, other values, bad UTF-8, empty', () => {
    for (const text of ['', 'iss', '[]', '"iss"', '1', 'null', '{"iss":"a"', '{"iss":"a"}x', '{"iss":"a",}', '\ufeff{"iss":"a"}', '{"iss":"\u0001"}']) {
      expect(scan(text), JSON.stringify(text)).toEqual({ refused: 'the payload is not a JSON object' });
    }
    expect(() => untrustedIssuer(Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]).toString('base64url'))).toThrow(
      expect.objectContaining({ code: 'token_malformed' }),
    );
  });
});

describe('getKey, before the signature holds', () => {
  const rsa = rsaPair();
  const b64 = (text: string) => Buffer.from(text).toString('base64url');
  const withPayload = async (payloadText: string) => {
    const [header, , signature] = (await sign(rsa.privateKey, 'RS256')).split('.');
    return `${header}.${b64(payloadText)}.${signature}`;
  };

  it('is asked only for tokens whose payload is a JSON object naming iss at most once', async () => {
    const getKey = vi.fn(() => rsa.publicJwk);
    const verifier = createVerifier({ getKey, algorithms: ['RS256'], ...CLAIM_OPTIONS });
    await rejection(verifier.verify(await withPayload('{"iss":')), 'token_malformed');
    // Keyed by iss, the result cache would hold the keys a resolver reading the last iss chose under the first.
    const twice = await rejection(verifier.verify(await withPayload(`{"iss":"https://tenant-a.example/","iss":${JSON.stringify(ISSUER)}}`)), 'token_malformed');
    expect(twice.hint).toBe('the payload has duplicate member names');
    expect(getKey).not.toHaveBeenCalled();
    // Any other shape is valid JSON: getKey is asked, and the signature decides.
    await rejection(verifier.verify(await withPayload(`{"x":${'['.repeat(2000)}${']'.repeat(2000)}}`)), 'signature_invalid');
    await expect(verifier.verify(await sign(rsa.privateKey, 'RS256', validClaims()))).resolves.toBeDefined();
  });
});
