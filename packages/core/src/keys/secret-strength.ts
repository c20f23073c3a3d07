import { ALGORITHMS, isHmac } from '../algorithms.js';
import { configError } from '../errors.js';
import type { Algorithm } from '../options.js';
import { HOW_TO_MAKE_A_SECRET } from './import.js';
import type { VerificationKey } from './verification-key.js';

/** Below this many distinct bytes a "secret" is a placeholder or a repeated word, not a key. */
const MIN_DISTINCT_SECRET_BYTES = 10;

/** RFC 7518 §3.2: an HMAC key at least as long as the hash output; and not an obvious placeholder. */
export function checkSecretStrength(
  keys: readonly VerificationKey[],
  algorithms: readonly Algorithm[],
  /** The placeholder heuristic goes beyond RFC 7518; the bare JWS layer (test vectors) skips it. */
  refusePlaceholders = true,
): void {
  for (const key of keys) {
    if (key.family !== 'oct' || key.secretLength === undefined) continue;
    const label = key.kid === undefined ? 'the HMAC secret' : `the HMAC secret "${key.kid}"`;
    const uses = key.alg !== undefined ? [key.alg] : algorithms.filter(isHmac);
    for (const alg of uses) {
      const needed = ALGORITHMS[alg].hashBytes;
      if (key.secretLength < needed) {
        throw configError(`${label} is ${key.secretLength} bytes; ${alg} needs at least ${needed} (RFC 7518 §3.2). ${HOW_TO_MAKE_A_SECRET}`);
      }
    }
    const bytes = key.key.export();
    if (refusePlaceholders && new Set(bytes).size < MIN_DISTINCT_SECRET_BYTES) {
      throw configError(`${label} has fewer than ${MIN_DISTINCT_SECRET_BYTES} distinct bytes: it is a placeholder, not a secret. ${HOW_TO_MAKE_A_SECRET}`);
    }
  }
}
