import type { VerificationKey } from './keys/verification-key.js';
import type { AuthContext, JWTPayload } from './options.js';

export interface CachedVerdict<Claims extends JWTPayload> {
  auth: AuthContext<Claims>;
  /** The key that verified the signature: the verdict stands only while the key is still trusted. */
  key: VerificationKey;
}

/**
 * Verified tokens, least recently used first out. Only successes are stored, keyed by the whole
 * token string (a different byte is a different key). Bounded by `maxEntries`, so a million
 * distinct tokens cost the same memory as `maxEntries` of them.
 */
export class TokenCache<Claims extends JWTPayload> {
  private readonly entries = new Map<string, CachedVerdict<Claims>>();
  /** Tokens verified once: a verdict is stored on the second sighting only. */
  private readonly seenOnce = new Set<string>();

  constructor(private readonly maxEntries: number) {}

  /**
   * Admission: store a verdict only for a token seen before. Clients reuse their access token, so
   * the second request already hits; a stream of one-off tokens costs a string reference each
   * instead of a whole verdict kept alive (and promoted, and collected) for nothing.
   */
  admit(token: string): boolean {
    if (this.seenOnce.delete(token)) return true;
    if (this.seenOnce.size >= this.maxEntries) {
      const oldest = this.seenOnce.values().next();
      if (!oldest.done) this.seenOnce.delete(oldest.value);
    }
    this.seenOnce.add(token);
    return false;
  }

  get(token: string): CachedVerdict<Claims> | undefined {
    const entry = this.entries.get(token);
    if (entry !== undefined && this.entries.size > 64) {
      // Refresh recency (delete + set moves it to the back); skipped for tiny caches, where it cannot matter.
      this.entries.delete(token);
      this.entries.set(token, entry);
    }
    return entry;
  }

  set(token: string, entry: CachedVerdict<Claims>): void {
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(token, entry);
  }

  delete(token: string): void {
    this.entries.delete(token);
  }

  get size(): number {
    return this.entries.size;
  }
}
