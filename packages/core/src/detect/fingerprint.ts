/** How many characters at the end of a token are hashed: 16 base64url characters are 96 bits of its signature, more than the 62 bits the two hashes keep. */
const TAIL = 16;

/**
 * Stands for a token by two 31-bit hashes of the last 16 characters of its signature, read in
 * place: `key` (a small integer, the fastest kind of Map key) and `check`, kept beside what is
 * remembered so that two tokens whose keys collide are told apart. Numbers, so that nothing kept
 * refers to the token's string (a substring could keep the whole token alive); constant work
 * whatever the token's length. Signatures of different tokens differ throughout, so their ends
 * tell them apart. Fills its own fields rather than returning an object: no allocation per request.
 */
export class Fingerprint {
  key = 0;
  check = 0;

  /** Fingerprints the end of a token. */
  ofToken(token: string): this {
    return this.#hash(token, Math.max(0, token.length - TAIL), token.length);
  }

  /** Fingerprints the start of a string (a User-Agent's first 256 characters). */
  ofString(value: string): this {
    return this.#hash(value, 0, Math.min(value.length, 256));
  }

  #hash(value: string, start: number, end: number): this {
    let a = 0x811c9dc5;
    let b = 0x5bd1e995;
    // Four characters per step: base64url and User-Agent characters are 7 bits, so four fit in one
    // word; a character past `end` reads as 0 (NaN | 0). Anything beyond 7 bits still mixes in.
    for (let index = start; index < end; index += 4) {
      const word = value.charCodeAt(index) ^ (value.charCodeAt(index + 1) << 7) ^ (value.charCodeAt(index + 2) << 14) ^ (value.charCodeAt(index + 3) << 21);
      a = Math.imul(a ^ word, 0x01000193);
      b = Math.imul(b ^ word, 0x5bd1e995);
      b ^= b >>> 15;
    }
    a ^= a >>> 16;
    this.key = a >>> 1;
    this.check = b >>> 1;
    return this;
  }
}
