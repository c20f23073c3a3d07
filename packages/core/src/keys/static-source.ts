import { configError } from '../errors.js';
import type { JsonWebKeySet, KeySourceOptions, PublicKeyInput } from '../options.js';
import { importJwk, importPublicKey, importSecret } from './import.js';
import type { KeySource } from './key-source.js';
import { selectKeys, type VerificationKey } from './verification-key.js';

/** `secret`, `publicKey` and `jwks`: every key is imported here, once, at start-up. */
export function staticKeySource(
  kind: 'secret' | 'publicKey' | 'jwks',
  options: KeySourceOptions,
  explicitAlgorithms: () => boolean,
): KeySource {
  const keys = importStaticKeys(kind, options);
  checkDistinctKids(keys, kind);
  return {
    kind,
    staticKeys: keys,
    candidates: (_header, alg, kid) => selectKeys(keys, alg, kid, explicitAlgorithms()),
  };
}

function importStaticKeys(kind: 'secret' | 'publicKey' | 'jwks', options: KeySourceOptions): VerificationKey[] {
  if (kind === 'secret') {
    const secret = options.secret;
    if (Array.isArray(secret)) {
      if (secret.length === 0) throw configError('`secret` is an empty array: give at least one secret.');
      return secret.map((entry: { kid?: string; secret: string | Uint8Array }, index: number) => {
        if (typeof entry !== 'object' || entry === null || !('secret' in entry)) {
          throw configError(`secret[${index}] must be { kid?, secret }.`);
        }
        if (entry.kid !== undefined && (typeof entry.kid !== 'string' || entry.kid === '')) {
          throw configError(`secret[${index}].kid must be a non-empty string.`);
        }
        return importSecret(entry.secret, entry.kid, `secret[${index}]`);
      });
    }
    return [importSecret(secret as string | Uint8Array, undefined, '`secret`')];
  }
  if (kind === 'publicKey') {
    const input = options.publicKey;
    if (Array.isArray(input)) {
      if (input.length === 0) throw configError('`publicKey` is an empty array: give at least one key.');
      return (input as readonly PublicKeyInput[]).map((key, index) => importPublicKey(key, `publicKey[${index}]`));
    }
    return [importPublicKey(input as Exclude<typeof input, readonly unknown[] | undefined>, '`publicKey`')];
  }
  return importJwkSet(options.jwks, '`jwks`');
}

/** Imports a local JWK Set with JWK Set semantics; keys not meant for signatures are skipped. */
function importJwkSet(set: JsonWebKeySet | undefined, where: string): VerificationKey[] {
  if (typeof set !== 'object' || set === null || !Array.isArray(set.keys)) {
    throw configError(`${where} must be a JWK Set: { keys: [...] }.`);
  }
  const keys: VerificationKey[] = [];
  set.keys.forEach((jwk, index) => {
    const imported = importJwk(jwk, true, `${where}.keys[${index}]`);
    if (typeof imported !== 'string') keys.push(imported);
  });
  if (keys.length === 0) throw configError(`${where} has no key usable for signature verification.`);
  const families = new Set(keys.map((key) => (key.family === 'oct' ? 'oct' : 'asymmetric')));
  if (families.size > 1) {
    throw configError(
      `${where} mixes HMAC secrets ("oct") with public keys. Use one verifier per kind of key (RFC 8725 §3.1).`,
    );
  }
  return keys;
}

/** Two different keys under one `kid` make key selection ambiguous; refuse that at start-up. */
function checkDistinctKids(keys: readonly VerificationKey[], kind: string): void {
  const seen = new Set<string>();
  for (const key of keys) {
    if (key.kid === undefined) continue;
    if (seen.has(key.kid)) throw configError(`\`${kind}\` has two keys with the kid "${key.kid}"; each kid must be unique.`);
    seen.add(key.kid);
  }
}

export { importJwkSet };
