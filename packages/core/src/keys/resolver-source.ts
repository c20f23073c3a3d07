import { configError, JwtGuardError } from '../errors.js';
import type { Algorithm, GetKey, ResolvedKey } from '../options.js';
import { importPublicKey, importSecret } from './import.js';
import type { KeySource } from './key-source.js';
import { checkSecretStrength } from './secret-strength.js';
import { keyAllows, type VerificationKey } from './verification-key.js';

const MAX_CACHED_STRINGS = 256;

/** Bounds the result cache; when full it starts over (only a flood of distinct kids fills it). */
const MAX_CACHED_RESULTS = 1000;

/**
 * `getKey(header, token)`: the user's resolver picks the key. Returned keys are imported once and
 * remembered (by identity for objects, by value for strings); results are reused for `ttlMs` per
 * (iss, kid, alg), with concurrent lookups of the same triple sharing one call. A throwing resolver
 * is never cached: the next request asks again.
 */
export function resolverKeySource(getKey: GetKey, ttlMs: number): KeySource {
  const objectCache = new WeakMap<object, VerificationKey>();
  const stringCache = new Map<string, VerificationKey>();
  const results = new Map<string, { keys: VerificationKey[]; expiresAt: number }>();
  const inFlight = new Map<string, Promise<VerificationKey[]>>();
  /** Until when each key is vouched for by a cached result: an O(1) answer for `isCurrent` on every cache hit. */
  const vouchedUntil = new WeakMap<VerificationKey, number>();

  function importResolved(input: ResolvedKey, alg: string): VerificationKey {
    const asSecret = alg.startsWith('HS');
    if (typeof input === 'string') {
      const cacheKey = `${asSecret ? 's' : 'p'}:${input}`;
      let key = stringCache.get(cacheKey);
      if (key === undefined) {
        key = asSecret ? importSecret(input, undefined, 'getKey() result') : importPublicKey(input, 'getKey() result');
        if (stringCache.size >= MAX_CACHED_STRINGS) stringCache.clear();
        stringCache.set(cacheKey, key);
      }
      return key;
    }
    let key = objectCache.get(input);
    if (key === undefined) {
      key = asSecret && input instanceof Uint8Array ? importSecret(input, undefined, 'getKey() result') : importPublicKey(input, 'getKey() result');
      objectCache.set(input, key);
    }
    if (asSecret && key.family !== 'oct') {
      // Never "no key" for an HS* token: a resolver that hands out public keys for HMAC is misconfigured.
      throw configError(`getKey() returned a public key for an ${alg} token: HMAC verifies with a shared secret (a string or bytes) only.`);
    }
    return key;
  }

  async function resolve(header: Parameters<GetKey>[0], alg: Algorithm, token: string): Promise<VerificationKey[]> {
    let resolved: ResolvedKey | readonly ResolvedKey[] | undefined;
    try {
      resolved = await getKey(header, token);
    } catch (cause) {
      throw unavailable(`getKey() threw: ${cause instanceof Error ? cause.message : String(cause)}`, cause);
    }
    if (resolved === undefined || resolved === null) return [];
    const list = Array.isArray(resolved) ? (resolved as readonly ResolvedKey[]) : [resolved as ResolvedKey];
    const keys: VerificationKey[] = [];
    for (const input of list) {
      try {
        const key = importResolved(input, alg);
        // A secret from a secret manager meets the same bar as one given at start-up.
        checkSecretStrength([key], [alg]);
        if (keyAllows(key, alg, true)) keys.push(key);
      } catch (cause) {
        throw unavailable(`getKey() returned a key jwt-guard refuses: ${cause instanceof Error ? cause.message : String(cause)}`, cause);
      }
    }
    return keys;
  }

  return {
    kind: 'getKey',
    staticKeys: undefined,
    // A verdict stands while a cached getKey result still holds its key; with no result cache, never.
    isCurrent: (key) => (vouchedUntil.get(key) ?? 0) > Date.now(),
    // Not async: a cached result is returned as is, so a verification that needs no lookup stays synchronous.
    candidates(header, alg, kid, token, untrustedPayload) {
      if (ttlMs <= 0) return resolve(header, alg, token);
      const iss = typeof untrustedPayload?.iss === 'string' ? untrustedPayload.iss : '';
      const cacheKey = JSON.stringify([iss, kid ?? null, alg]);
      const cached = results.get(cacheKey);
      if (cached !== undefined && Date.now() < cached.expiresAt) return cached.keys;
      let pending = inFlight.get(cacheKey);
      if (pending === undefined) {
        pending = resolve(header, alg, token)
          .then((keys) => {
            if (!results.has(cacheKey) && results.size >= MAX_CACHED_RESULTS) results.clear();
            const expiresAt = Date.now() + ttlMs;
            results.set(cacheKey, { keys, expiresAt });
            for (const key of keys) vouchedUntil.set(key, Math.max(vouchedUntil.get(key) ?? 0, expiresAt));
            return keys;
          })
          .finally(() => inFlight.delete(cacheKey));
        inFlight.set(cacheKey, pending);
      }
      return pending;
    },
  };
}

function unavailable(hint: string, cause: unknown): JwtGuardError {
  return new JwtGuardError('key_source_unavailable', 'The token signing keys are temporarily unavailable.', { hint, cause });
}
