import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { VerificationKey } from '../src/keys/verification-key.js';
import type { AuthContext, JWTPayload } from '../src/options.js';
import { keyOf, TokenCache, type CachedVerdict } from '../src/token-cache.js';

const verdict = (token: string): CachedVerdict<JWTPayload> => ({
  auth: { token } as unknown as AuthContext<JWTPayload>,
  key: {} as VerificationKey,
});

/** The obvious LRU, an array ordered oldest first: slow, and plainly right. */
class ReferenceLru {
  readonly order: string[] = [];
  constructor(private readonly max: number) {}
  get(token: string): boolean {
    const index = this.order.indexOf(token);
    if (index === -1) return false;
    this.order.splice(index, 1);
    this.order.push(token);
    return true;
  }
  set(token: string): void {
    if (this.order.includes(token)) return;
    if (this.order.length >= this.max) this.order.shift();
    this.order.push(token);
  }
  delete(token: string): void {
    const index = this.order.indexOf(token);
    if (index !== -1) this.order.splice(index, 1);
  }
}

type Op = { kind: 'get' | 'set' | 'delete'; token: number };

describe('TokenCache against a reference LRU', () => {
  it('holds exactly the entries, in the order, an LRU of the same size would', () => {
    const op = fc.record({ kind: fc.constantFrom<Op['kind']>('get', 'set', 'set', 'delete'), token: fc.integer({ min: 0, max: 40 }) });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.array(op, { maxLength: 300 }), (max, ops) => {
        const cache = new TokenCache<JWTPayload>(max);
        const reference = new ReferenceLru(max);
        for (const { kind, token } of ops) {
          const name = `t${token}`;
          if (kind === 'get') expect(cache.get(name)?.auth.token).toBe(reference.get(name) ? name : undefined);
          else if (kind === 'set') {
            cache.set(name, verdict(name));
            reference.set(name);
          } else {
            cache.delete(name);
            reference.delete(name);
          }
          expect(cache.size).toBe(reference.order.length);
        }
        // Every entry the reference holds is there; evicting them one by one goes oldest first.
        for (const name of reference.order) expect(cache.get(name)?.auth.token).toBe(name);
      }),
      { numRuns: 300, seed: 20261125 },
    );
  });

  it('stays bounded and keeps the hot token through a long stream of one-off tokens', () => {
    const cache = new TokenCache<JWTPayload>(1000);
    cache.set('hot', verdict('hot'));
    for (let i = 0; i < 50_000; i++) {
      const token = `one-off-${i % 1600}`;
      expect(cache.get('hot')).toBeDefined();
      if (cache.get(token) === undefined && cache.admit(token)) cache.set(token, verdict(token));
      expect(cache.size).toBeLessThanOrEqual(1000);
    }
  });
});

describe('TokenCache admission', () => {
  const token = (n: number) => `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.signature-${n}-${'x'.repeat(n % 7)}`;

  it('admits a token on its second sighting, once', () => {
    const cache = new TokenCache<JWTPayload>(100);
    expect(cache.admit(token(1))).toBe(false);
    expect(cache.admit(token(1))).toBe(true);
    expect(cache.admit(token(1))).toBe(false); // admitted once: a third sighting starts over
    expect(cache.admit(token(1))).toBe(true);
  });

  it('remembers a bounded number of sightings: a token landing in the same slot forgets the earlier one', () => {
    const cache = new TokenCache<JWTPayload>(1); // one slot: every token lands in it
    expect(cache.admit(token(1))).toBe(false);
    expect(cache.admit(token(2))).toBe(false);
    expect(cache.admit(token(1))).toBe(false);
    expect(cache.admit(token(1))).toBe(true);
  });

  it('admits most reused tokens among many one-off ones (few fingerprint slots collide)', () => {
    const cache = new TokenCache<JWTPayload>(10_000);
    let admitted = 0;
    for (let n = 0; n < 1000; n++) {
      cache.admit(token(n));
      for (let noise = 0; noise < 5; noise++) cache.admit(token(1_000_000 + n * 5 + noise));
      if (cache.admit(token(n))) admitted++;
    }
    expect(admitted).toBeGreaterThan(950);
  });
});

describe('TokenCache fingerprint collisions', () => {
  /** Two distinct tokens with one table key, found by a birthday search (30 bits: ~2^15 tries). */
  let pair: [string, string] | undefined;
  function collidingPair(): [string, string] {
    return (pair ??= searchPair());
  }
  function searchPair(): [string, string] {
    const seen = new Map<number, string>();
    for (let n = 0; ; n++) {
      const token = `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.sig-${n.toString(36).padStart(12, '0')}`;
      const earlier = seen.get(keyOf(token));
      if (earlier !== undefined) return [earlier, token];
      seen.set(keyOf(token), token);
    }
  }

  it('answers only for the exact token stored: a token sharing its fingerprint is a miss, never its verdict', () => {
    const [first, second] = collidingPair();
    expect(first).not.toBe(second);
    expect(keyOf(first)).toBe(keyOf(second));
    const cache = new TokenCache<JWTPayload>(10);
    cache.set(first, verdict(first));
    expect(cache.get(second)).toBeUndefined();
    cache.delete(second); // not the stored token: nothing happens
    expect(cache.get(first)?.auth.token).toBe(first);
    // The later token takes the slot; the earlier one is re-verified on its next use.
    cache.set(second, verdict(second));
    expect(cache.get(second)?.auth.token).toBe(second);
    expect(cache.get(first)).toBeUndefined();
    expect(cache.size).toBe(1);
    cache.set(first, verdict(first));
    expect(cache.get(first)?.auth.token).toBe(first);
    expect(cache.size).toBe(1);
  });

  it('keeps its recency list consistent when a colliding token replaces an entry', () => {
    const [first, second] = collidingPair();
    const cache = new TokenCache<JWTPayload>(2);
    cache.set(first, verdict(first));
    cache.set('other', verdict('other'));
    cache.set(second, verdict(second)); // replaces `first`, evicts nothing else
    expect(cache.get('other')?.auth.token).toBe('other');
    cache.set('third', verdict('third')); // full: the least recently used (`second`) goes
    expect(cache.get(second)).toBeUndefined();
    expect(cache.get('other')?.auth.token).toBe('other');
    expect(cache.get('third')?.auth.token).toBe('third');
    expect(cache.size).toBe(2);
  });
});
