import { JwtGuardError } from '../errors.js';
import type { GetKey, ResolvedKey } from '../options.js';
import { importPublicKey, importSecret } from './import.js';
import type { KeySource } from './key-source.js';
import { checkSecretStrength } from './secret-strength.js';
import { keyAllows, type VerificationKey } from './verification-key.js';

const MAX_CACHED_STRINGS = 256;

/**
 * `getKey(header, token)`: the user's resolver picks the key. Returned keys are imported once and
 * remembered (by identity for objects, by value for strings), so a resolver that returns the same
 * key each time costs no re-import.
 */
export function resolverKeySource(getKey: GetKey): KeySource {
  const objectCache = new WeakMap<object, VerificationKey>();
  const stringCache = new Map<string, VerificationKey>();

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
      key =
        asSecret && input instanceof Uint8Array
          ? importSecret(input, undefined, 'getKey() result')
          : importPublicKey(input, 'getKey() result');
      objectCache.set(input, key);
    }
    return key;
  }

  return {
    kind: 'getKey',
    staticKeys: undefined,
    async candidates(header, alg, _kid, token) {
      let resolved: ResolvedKey | readonly ResolvedKey[] | undefined;
      try {
        resolved = await getKey(header, token);
      } catch (cause) {
        throw new JwtGuardError('key_source_unavailable', 'The token signing keys are temporarily unavailable.', {
          hint: `getKey() threw: ${cause instanceof Error ? cause.message : String(cause)}`,
          cause,
        });
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
          throw new JwtGuardError('key_source_unavailable', 'The token signing keys are temporarily unavailable.', {
            hint: `getKey() returned a key jwt-guard refuses: ${cause instanceof Error ? cause.message : String(cause)}`,
            cause,
          });
        }
      }
      return keys;
    },
  };
}
