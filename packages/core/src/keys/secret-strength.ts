import { ALGORITHMS, isHmac } from '../algorithms.js';
import { configError, JwtGuardError } from '../errors.js';
import type { Algorithm, SecretInput } from '../options.js';
import { HOW_TO_MAKE_A_SECRET, importSecret } from './import.js';
import type { VerificationKey } from './verification-key.js';

/** Below this many distinct bytes a "secret" is a placeholder or a repeated word, not a key. */
const MIN_DISTINCT_SECRET_BYTES = 10;

/**
 * Words that mark a secret as a sample or a placeholder (jwt.io's default is
 * "your-256-bit-secret"), looked for in the lowercased text of the key bytes. Each is 8 or more
 * characters, so a random secret contains one with negligible probability (base64url: about
 * 40 × 32⁻⁸ ≈ 4·10⁻¹¹ per word). More specific words come first: the message names the first found.
 */
export const PLACEHOLDER_WORDS: readonly string[] = [
  'your-256-bit-secret',
  'your-secret',
  'your_secret',
  'yoursecret',
  'supersecret',
  'super-secret',
  'super_secret',
  'changeme',
  'change-me',
  'change_me',
  'replaceme',
  'replace-me',
  'replace_me',
  'placeholder',
  'secretkey',
  'secret-key',
  'secret_key',
  'mysecret',
  'my-secret',
  'my_secret',
  'password',
];

/** "secret" this many times over ("secret-secret-…", "dev-secret-dev-secret…") is a made-up secret too. */
const REPEATED_WORD = 'secret';
const MAX_REPEATS = 2;

/** What marks these key bytes as a placeholder, in words; undefined for none. */
export function placeholderIn(bytes: Uint8Array): string | undefined {
  // latin1 maps every byte to one character: binary secrets are searched too, never rejected as text.
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1').toLowerCase();
  const word = PLACEHOLDER_WORDS.find((candidate) => text.includes(candidate));
  if (word !== undefined) return `contains "${word}"`;
  const repeats = text.split(REPEATED_WORD).length - 1;
  return repeats >= MAX_REPEATS ? `contains "${REPEATED_WORD}" ${repeats} times` : undefined;
}

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
    if (!refusePlaceholders) continue;
    if (new Set(bytes).size < MIN_DISTINCT_SECRET_BYTES) {
      throw configError(`${label} has fewer than ${MIN_DISTINCT_SECRET_BYTES} distinct bytes: it is a placeholder, not a secret. ${HOW_TO_MAKE_A_SECRET}`);
    }
    const placeholder = placeholderIn(bytes);
    if (placeholder !== undefined) throw configError(`${label} ${placeholder}: it is a placeholder, not a secret. ${HOW_TO_MAKE_A_SECRET}`);
  }
}

/**
 * One secret read from a named place (an environment variable, an option such as
 * `csrf.token.secret`): imported and checked for `algorithm` like the verifier's own, every message
 * naming `where`. importSecret's messages already start with it; the strength check's say "the HMAC
 * secret", which becomes "<where>: the secret …".
 */
export function importNamedSecret(secret: SecretInput, where: string, algorithm: Algorithm = 'HS256'): VerificationKey {
  try {
    const imported = importSecret(secret, undefined, where);
    checkSecretStrength([imported], [algorithm]);
    return imported;
  } catch (error) {
    if (!(error instanceof JwtGuardError)) throw error;
    const message = error.message.replace(/^jwt-guard configuration: /, '');
    throw configError(message.startsWith(where) ? message : `${where}: ${message.replace(/^the HMAC secret /, 'the secret ')}`);
  }
}
