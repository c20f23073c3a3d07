import type { VerificationKey } from './keys/verification-key.js';
import type { AuthContext, JWTPayload, Verifier } from './options.js';

export interface CachedVerdict<Claims extends JWTPayload> {
  auth: AuthContext<Claims>;
  /** The key that verified the signature: the verdict stands only while the key is still trusted. */
  key: VerificationKey;
}

/** A node of the recency list: most recently used at `head`, least at `tail`. */
interface Entry<Claims extends JWTPayload> {
  token: string;
  verdict: CachedVerdict<Claims>;
  newer: Entry<Claims> | undefined;
  older: Entry<Claims> | undefined;
}

/**
 * Verified tokens, least recently used first out. Only successes are stored, and an entry answers
 * only for the whole token string it was stored for (a different byte is a miss). Bounded by
 * `maxEntries`, so a million distinct tokens cost the same memory as `maxEntries` of them.
 *
 * The table is keyed by a 30-bit fingerprint of the token's end, and a hit compares the whole token:
 * keyed by the string itself, every lookup would hash the whole token (a new string per request,
 * so V8 cannot reuse a hash) — about 1 ns a character, most of the cost of a hit for an RS256
 * token. Two tokens with one fingerprint share a slot: the later one replaces the earlier, which
 * costs the earlier a re-verification, never a wrong verdict.
 *
 * Recency lives in a linked list beside the Map, and the oldest tokens awaiting admission in a
 * ring: the Map is only ever read, or written for a token it does not hold. V8's hash tables make
 * the obvious alternatives linear in the table size — re-inserting a key just deleted (to move it
 * to the back) and finding the oldest entry with `keys().next()` after many deletions at the front
 * both cost tens of microseconds on a table of 10 000 entries — so every operation here is O(1).
 */
export class TokenCache<Claims extends JWTPayload> {
  private readonly entries = new Map<number, Entry<Claims>>();
  private head: Entry<Claims> | undefined;
  private tail: Entry<Claims> | undefined;
  /**
   * Tokens verified once, as 32-bit fingerprints in a direct-mapped table of `maxEntries` slots
   * (0: empty): a verdict is stored on the second sighting only.
   */
  private seen: Int32Array | undefined;

  constructor(private readonly maxEntries: number) {}

  /**
   * Admission: store a verdict only for a token seen before. Clients reuse their access token, so
   * the second request already hits; a stream of one-off tokens costs one table slot each instead
   * of a whole verdict kept alive (and promoted, and collected) for nothing.
   *
   * A sighting is a fingerprint in a fixed table of integers: no allocation, no Map, no token string
   * kept alive past its request (which would be promoted to V8's old generation and collected
   * there). A later token landing in the same slot forgets the earlier sighting, so a token may need
   * a third use before it is cached. Admission only decides what to cache — the token has been
   * verified in full first — so a fingerprint collision merely stores a valid verdict one use early.
   */
  admit(token: string): boolean {
    const fingerprint = fingerprintOf(token) || 1;
    const seen = (this.seen ??= new Int32Array(Math.max(1, this.maxEntries)));
    const slot = (fingerprint >>> 0) % seen.length;
    if (seen[slot] === fingerprint) {
      seen[slot] = 0;
      return true;
    }
    seen[slot] = fingerprint;
    return false;
  }

  get(token: string): CachedVerdict<Claims> | undefined {
    const entry = this.entries.get(keyOf(token));
    if (entry === undefined || entry.token !== token) return undefined;
    if (entry !== this.head) {
      this.unlink(entry);
      this.pushHead(entry);
    }
    return entry.verdict;
  }

  set(token: string, verdict: CachedVerdict<Claims>): void {
    const key = keyOf(token);
    const existing = this.entries.get(key);
    if (existing !== undefined) {
      if (existing.token === token) {
        existing.verdict = verdict;
        return;
      }
      // Another token with the same fingerprint: it gives way (set below overwrites its key).
      this.unlink(existing);
    } else if (this.entries.size >= this.maxEntries && this.tail !== undefined) {
      const oldest = this.tail;
      this.unlink(oldest);
      this.entries.delete(keyOf(oldest.token));
    }
    const entry: Entry<Claims> = { token, verdict, newer: undefined, older: undefined };
    this.pushHead(entry);
    this.entries.set(key, entry);
  }

  delete(token: string): void {
    const key = keyOf(token);
    const entry = this.entries.get(key);
    if (entry === undefined || entry.token !== token) return;
    this.unlink(entry);
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  private unlink(entry: Entry<Claims>): void {
    if (entry.newer === undefined) this.head = entry.older;
    else entry.newer.older = entry.older;
    if (entry.older === undefined) this.tail = entry.newer;
    else entry.older.newer = entry.newer;
    entry.newer = undefined;
    entry.older = undefined;
  }

  private pushHead(entry: Entry<Claims>): void {
    entry.older = this.head;
    if (this.head === undefined) this.tail = entry;
    else this.head.newer = entry;
    this.head = entry;
  }
}

/**
 * FNV-1a over the token's last 16 characters — the end of the signature, which differs from token to
 * token — as a signed 32-bit integer.
 */
export function fingerprintOf(token: string): number {
  let hash = 0x811c9dc5;
  for (let index = Math.max(0, token.length - 16); index < token.length; index++) {
    hash = Math.imul(hash ^ token.charCodeAt(index), 0x01000193);
  }
  return hash | 0;
}

/** The table key: 30 bits, so that it is a small integer (a Smi) that V8 neither allocates nor hashes as a string. */
export function keyOf(token: string): number {
  return fingerprintOf(token) & 0x3fffffff;
}

/**
 * A verifier's answer from its cache alone: the context of a cached token, re-checked (claims,
 * revocation) — or a throw, or a promise for an asynchronous revocation store — and undefined when
 * the token is not cached. An entry answers only for the exact string that passed every check when
 * it was first verified, so a caller may look a token up before its own syntax checks.
 */
export type CacheLookup<Claims extends JWTPayload> = (token: string) => AuthContext<Claims> | Promise<AuthContext<Claims>> | undefined;

// Internal, not in the public Verifier type: the guard and the multi-issuer router use it for their fast paths.
const lookups = new WeakMap<object, CacheLookup<JWTPayload>>();

export function registerCacheLookup<Claims extends JWTPayload>(verifier: Verifier<Claims>, lookup: CacheLookup<Claims>): void {
  lookups.set(verifier, lookup);
}

/** The verifier's cache lookup; undefined for a verifier without a cache (or not made by createVerifier). */
export function cacheLookupOf<Claims extends JWTPayload>(verifier: Verifier<Claims>): CacheLookup<Claims> | undefined {
  return lookups.get(verifier) as CacheLookup<Claims> | undefined;
}
