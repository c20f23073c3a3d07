import type { KeyObject } from 'node:crypto';
import { ALGORITHMS, algorithmForCurve, keyFitsAlgorithm, type KeyFamily } from '../algorithms.js';
import type { Algorithm } from '../options.js';

/** A key imported once at start-up (or once per JWKS fetch), ready for every verification. */
export interface VerificationKey {
  readonly key: KeyObject;
  readonly family: KeyFamily;
  /** EC curve (`P-256`…) or OKP subtype (`Ed25519`, `Ed448`). */
  readonly curve: string | undefined;
  readonly kid: string | undefined;
  /** The JWK `alg`: when present the key verifies that algorithm and no other. */
  readonly alg: Algorithm | undefined;
  /**
   * JWK Set semantics (RFC 7517 §4.5): a token carrying a `kid` only matches keys with exactly that
   * `kid`. Keys the user passed one by one without a `kid` match any token instead.
   */
  readonly strictKid: boolean;
  /** Byte length of an HMAC secret, for the RFC 7518 §3.2 size check. */
  readonly secretLength: number | undefined;
}

/** The algorithm a key verifies when neither its JWK nor the options name one. */
export function defaultAlgorithm(key: VerificationKey): Algorithm | undefined {
  if (key.alg !== undefined) return key.alg;
  switch (key.family) {
    case 'oct': return 'HS256';
    case 'RSA': return 'RS256';
    default: return key.curve === undefined ? undefined : algorithmForCurve(key.curve);
  }
}

/**
 * Whether `key` may verify a token signed with `alg`. With an explicit allowlist, a key without a
 * JWK `alg` may serve every allowed algorithm of its type; without one, only its default algorithm
 * (RFC 8725 §3.1: one key, one algorithm, unless the operator chose otherwise).
 */
export function keyAllows(key: VerificationKey, alg: Algorithm, explicitAlgorithms: boolean): boolean {
  if (!keyFitsAlgorithm(key.family, key.curve, alg)) return false;
  if (key.alg !== undefined) return key.alg === alg;
  if (key.family === 'oct' && key.secretLength !== undefined && key.secretLength < ALGORITHMS[alg].hashBytes) {
    return false;
  }
  return explicitAlgorithms || defaultAlgorithm(key) === alg;
}

/** Whether the token's `kid` (a string, or absent) selects this key. */
export function kidMatches(key: VerificationKey, kid: string | undefined): boolean {
  if (kid === undefined) return true;
  if (key.kid !== undefined) return key.kid === kid;
  return !key.strictKid;
}

/** The keys that may verify a token with this `alg` and `kid`, in configuration order. */
export function selectKeys(
  keys: readonly VerificationKey[],
  alg: Algorithm,
  kid: string | undefined,
  explicitAlgorithms: boolean,
): VerificationKey[] {
  return keys.filter((key) => kidMatches(key, kid) && keyAllows(key, alg, explicitAlgorithms));
}
