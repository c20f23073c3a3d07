/** How many characters at the end of a token are hashed: 32 base64url characters are 192 bits of its signature. */
const TAIL = 32;

/**
 * A 53-bit number that stands for a token: two 32-bit FNV-1a hashes of the last 32 characters of
 * its signature, read in place. A number, so that nothing kept refers to the token's string (a
 * substring could keep the whole token alive), and constant work whatever the token's length.
 * Signatures of different tokens differ throughout, so their ends tell them apart.
 */
export function tokenFingerprint(token: string): number {
  return hashTail(token, TAIL);
}

/** The same hash of a short string (a User-Agent's first 256 characters). */
export function stringFingerprint(value: string): number {
  return hashRange(value, 0, Math.min(value.length, 256));
}

function hashTail(value: string, tail: number): number {
  return hashRange(value, Math.max(0, value.length - tail), value.length);
}

function hashRange(value: string, start: number, end: number): number {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let index = start; index < end; index++) {
    const code = value.charCodeAt(index);
    a = Math.imul(a ^ code, 0x01000193);
    b = Math.imul(b ^ code, 0x5bd1e995) ^ (b >>> 15);
  }
  // 32 bits of one, 21 of the other: exactly representable in a double.
  return (a >>> 0) * 0x200000 + ((b >>> 0) >>> 11);
}
