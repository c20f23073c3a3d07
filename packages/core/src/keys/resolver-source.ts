import { configError, JwtGuardError } from '../errors.js';
import type { Algorithm, GetKey, ResolvedKey } from '../options.js';
import { importPublicKey, importSecret } from './import.js';
import type { KeySource } from './key-source.js';
import { checkSecretStrength } from './secret-strength.js';
import { keyAllows, type VerificationKey } from './verification-key.js';

const MAX_CACHED_STRINGS = 256;

/** Bounds the result cache; when full it starts over (only a flood of distinct kids fills it). */
const MAX_CACHED_RESULTS = 1000;

/** Lookups of (iss, kid, alg) triples that never resolved to a key, allowed per `getKeyCooldown` window. */
export const NEW_LOOKUPS_PER_COOLDOWN = 10;

/** How long a "no key" answer is remembered, at most (never longer than `getKeyCacheTtl`). */
export const NO_KEY_TTL_MS = 30_000;

export interface ResolverOptions {
  /** `getKeyCacheTtl`: how long a result is reused per (iss, kid, alg); 0 disables the result cache. */
  ttlMs: number;
  /** `getKeyTimeout`: a lookup still unanswered by then is dropped, and its requests get 503. */
  timeoutMs: number;
  /** `getKeyCooldown`: the window in which at most {@link NEW_LOOKUPS_PER_COOLDOWN} new triples are looked up; 0: no limit. */
  cooldownMs: number;
}

/**
 * `getKey(header, token)`: the user's resolver picks the key. Returned keys are imported once and
 * remembered (by identity for objects, by value for strings); results are reused for `ttlMs` per
 * (iss, kid, alg), with concurrent lookups of the same triple sharing one call. A throwing resolver
 * is never cached: the next request asks again. Built so that the resolver cannot wedge or be
 * flooded:
 * - a lookup that does not settle within `timeoutMs` is dropped: its requests get 503, the next
 *   request asks again (a late answer is ignored);
 * - triples that never resolved to a key (random `kid`s, `iss`es: the token chooses them) are looked
 *   up at most {@link NEW_LOOKUPS_PER_COOLDOWN} times per `cooldownMs`; beyond that such a token is
 *   `key_not_found` at once, without a call. Triples that resolved before are never held back;
 * - a "no key" answer is remembered for {@link NO_KEY_TTL_MS} (or `ttlMs` if shorter), so replaying
 *   one forged token costs no further call.
 */
export function resolverKeySource(getKey: GetKey, { ttlMs, timeoutMs, cooldownMs }: ResolverOptions): KeySource {
  const objectCache = new WeakMap<object, VerificationKey>();
  const stringCache = new Map<string, VerificationKey>();
  const results = new Map<string, { keys: VerificationKey[]; expiresAt: number }>();
  const inFlight = new Map<string, Promise<VerificationKey[]>>();
  /** Until when each key is vouched for by a cached result: an O(1) answer for `isCurrent` on every cache hit. */
  const vouchedUntil = new WeakMap<VerificationKey, number>();
  /** Triples that resolved to a key, least recently resolved first: their lookups are never limited. */
  const known = new Map<string, true>();
  let windowStartedAt = Number.NEGATIVE_INFINITY;
  let newLookupsInWindow = 0;

  /** Whether a lookup of a triple that never resolved may be made now; counts it if so. */
  function newLookupAllowed(): boolean {
    if (cooldownMs <= 0) return true;
    const time = Date.now();
    if (time - windowStartedAt >= cooldownMs) {
      windowStartedAt = time;
      newLookupsInWindow = 0;
    }
    if (newLookupsInWindow >= NEW_LOOKUPS_PER_COOLDOWN) return false;
    newLookupsInWindow += 1;
    return true;
  }

  function remember(cacheKey: string): void {
    known.delete(cacheKey);
    known.set(cacheKey, true);
    if (known.size > MAX_CACHED_RESULTS) known.delete(known.keys().next().value!);
  }

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

  /** getKey's answer, or a rejection once `timeoutMs` has passed without one. */
  function callGetKey(header: Parameters<GetKey>[0], token: string): Promise<Awaited<ReturnType<GetKey>>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(unavailable(`getKey() did not answer within getKeyTimeout (${timeoutMs / 1000} s); the lookup was dropped`, undefined));
      }, timeoutMs);
      const settle = () => clearTimeout(timer);
      try {
        Promise.resolve(getKey(header, token)).then(
          (value) => {
            settle();
            resolve(value);
          },
          (cause: unknown) => {
            settle();
            reject(threw(cause));
          },
        );
      } catch (cause) {
        settle();
        reject(threw(cause));
      }
    });
  }

  async function resolve(header: Parameters<GetKey>[0], alg: Algorithm, token: string): Promise<VerificationKey[]> {
    const resolved = await callGetKey(header, token);
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

  /** One lookup of a triple: limited when the triple never resolved, remembered when it does. */
  function lookUp(cacheKey: string, header: Parameters<GetKey>[0], alg: Algorithm, kid: string | undefined, token: string): Promise<VerificationKey[]> {
    if (!known.has(cacheKey) && !newLookupAllowed()) {
      throw new JwtGuardError('key_not_found', 'No key is known for the access token.', {
        hint:
          `getKey() was not asked: more than ${NEW_LOOKUPS_PER_COOLDOWN} lookups of ${kid === undefined ? 'issuers' : 'kids'} ` +
          `never seen with a key within getKeyCooldown (${cooldownMs / 1000} s)`,
      });
    }
    return resolve(header, alg, token).then((keys) => {
      if (keys.length > 0) remember(cacheKey);
      if (ttlMs > 0) {
        if (!results.has(cacheKey) && results.size >= MAX_CACHED_RESULTS) results.clear();
        const expiresAt = Date.now() + (keys.length > 0 ? ttlMs : Math.min(ttlMs, NO_KEY_TTL_MS));
        results.set(cacheKey, { keys, expiresAt });
        for (const key of keys) vouchedUntil.set(key, Math.max(vouchedUntil.get(key) ?? 0, expiresAt));
      }
      return keys;
    });
  }

  return {
    kind: 'getKey',
    staticKeys: undefined,
    // A verdict stands while a cached getKey result still holds its key; with no result cache, never.
    isCurrent: (key) => (vouchedUntil.get(key) ?? 0) > Date.now(),
    // Not async: a cached result is returned as is, so a verification that needs no lookup stays synchronous.
    candidates(header, alg, kid, token, untrustedPayload) {
      const iss = typeof untrustedPayload?.iss === 'string' ? untrustedPayload.iss : '';
      const cacheKey = JSON.stringify([iss, kid ?? null, alg]);
      if (ttlMs <= 0) return lookUp(cacheKey, header, alg, kid, token);
      const cached = results.get(cacheKey);
      if (cached !== undefined && Date.now() < cached.expiresAt) return cached.keys;
      let pending = inFlight.get(cacheKey);
      if (pending === undefined) {
        pending = lookUp(cacheKey, header, alg, kid, token).finally(() => inFlight.delete(cacheKey));
        inFlight.set(cacheKey, pending);
      }
      return pending;
    },
  };
}

function threw(cause: unknown): JwtGuardError {
  return unavailable(`getKey() threw: ${cause instanceof Error ? cause.message : String(cause)}`, cause);
}

function unavailable(hint: string, cause: unknown): JwtGuardError {
  return new JwtGuardError('key_source_unavailable', 'The token signing keys are temporarily unavailable.', { hint, cause });
}
