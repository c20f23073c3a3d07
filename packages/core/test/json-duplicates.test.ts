import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePayload, parseToken } from '../src/token.js';

/** The hint decodePayload (what the verifier runs once the signature holds) refuses this payload text with. */
const hint = (payloadText: string): string | undefined => {
  try {
    decodePayload(Buffer.from(payloadText).toString('base64url'));
    return undefined;
  } catch (error) {
    return (error as { hint?: string }).hint;
  }
};

// Names and strings full of the characters a scanner could trip on: quotes, backslashes, colons, braces.
const tricky = fc.string({ unit: fc.constantFrom('a', 'b', ':', '"', '\\', '{', '}', '[', ',', 'é', '\u2028'), maxLength: 6 });
const value = fc.letrec((tie) => ({
  value: fc.oneof({ maxDepth: 3 }, tricky, fc.integer(), fc.constant(null), fc.boolean(), tie('object'), fc.array(tie('value'), { maxLength: 3 })),
  object: fc.dictionary(tricky, tie('value'), { maxKeys: 4 }),
})).object;

/** `\uXXXX` for the first character of a name: the same name to JSON.parse, different text. */
const escapeFirst = (name: string) => `"\\u${name.charCodeAt(0).toString(16).padStart(4, '0')}${JSON.stringify(name.slice(1)).slice(1)}`;

describe('duplicate member names in the payload', () => {
  it('are never reported for JSON without them, however it is spaced', () => {
    fc.assert(
      fc.property(value, fc.constantFrom(0, 2), (object, indent) => {
        expect(hint(JSON.stringify(object, null, indent))).toBeUndefined();
      }),
      { numRuns: 2000, seed: 20261125 },
    );
  });

  it('are always reported, at any depth, with the name written the same way or escaped', () => {
    fc.assert(
      fc.property(value, fc.string({ minLength: 1, maxLength: 4 }), fc.boolean(), fc.boolean(), (object, name, escaped, nested) => {
        const inner = JSON.stringify({ ...object, [name]: 1 }).slice(1);
        const duplicated = `{${escaped ? escapeFirst(name) : JSON.stringify(name)}:"x",${inner}`;
        const text = nested ? `{"outer":[1,${duplicated}]}` : duplicated;
        expect(hint(text)).toBe('the payload has duplicate member names');
      }),
      { numRuns: 2000, seed: 20261125 },
    );
  });
});

/** The same for a header (read before the signature, its names counted by the bounded pre-scan); undefined when accepted or refused for its bounds. */
const headerHint = (headerText: string): string | undefined => {
  try {
    parseToken(`${Buffer.from(headerText).toString('base64url')}.e30.c2ln`, 1 << 20);
    return undefined;
  } catch (error) {
    const found = (error as { hint?: string }).hint;
    return found?.startsWith('the header is not a plain JOSE header') === true ? 'bounds' : found;
  }
};

describe('duplicate member names in the header', () => {
  it('are never reported for JSON without them', () => {
    fc.assert(
      fc.property(value, fc.constantFrom(0, 2), (object, indent) => {
        expect(['bounds', undefined]).toContain(headerHint(JSON.stringify(object, null, indent)));
      }),
      { numRuns: 2000, seed: 20261201 },
    );
  });

  it('are always reported within the bounds, with the name written the same way or escaped', () => {
    fc.assert(
      fc.property(value, fc.string({ minLength: 1, maxLength: 4 }), fc.boolean(), (object, name, escaped) => {
        const inner = JSON.stringify({ ...object, [name]: 1 }).slice(1);
        const text = `{${escaped ? escapeFirst(name) : JSON.stringify(name)}:"x",${inner}`;
        expect(['bounds', 'the header has duplicate member names']).toContain(headerHint(text));
      }),
      { numRuns: 2000, seed: 20261201 },
    );
    // Most generated headers are within the bounds: the property is not vacuous.
    expect(headerHint('{"a":{"b":[1,{"c":"x"}]},"a":2}')).toBe('the header has duplicate member names');
  });
});
