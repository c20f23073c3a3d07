import { generateKeyPair, randomBytes, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { Algorithm, JWK } from '@jwt-guard/core';

/** The JWS algorithms the test helpers can make keys for and sign with: all the core verifies, Ed25519 as `EdDSA`. */
export type TestAlgorithm = Exclude<Algorithm, 'Ed25519'>;

/** Every {@link TestAlgorithm}, handy for `describe.each(TEST_ALGORITHMS)`. */
export const TEST_ALGORITHMS: readonly TestAlgorithm[] = Object.freeze([
  'HS256', 'HS384', 'HS512',
  'RS256', 'RS384', 'RS512',
  'PS256', 'PS384', 'PS512',
  'ES256', 'ES384', 'ES512',
  'EdDSA',
]);

/** A key (pair) for one algorithm, in every form a test may need. */
export interface TestKeys {
  algorithm: TestAlgorithm;
  kid: string;
  /** HS*: the secret bytes (random, hash-size or longer). undefined for asymmetric */
  secret?: Uint8Array;
  /** asymmetric: node KeyObjects */
  privateKey?: KeyObject;
  publicKey?: KeyObject;
  /** asymmetric: public JWK with kid, alg, use:'sig'; HS*: the oct JWK {kty:'oct',k,kid,alg} */
  jwk: JWK;
  /** PEM SPKI of the public key (asymmetric only) */
  publicKeyPem?: string;
}

/** Options of {@link generateTestKeys}. */
export interface GenerateTestKeysOptions {
  /** The key id, put in the JWK and in every token header. Default: `<alg>-<8 random hex digits>`. */
  kid?: string;
  /** RSA modulus length in bits (RS*, PS* only). Default 2048; jose refuses to sign with less. */
  modulusLength?: number;
}

const generateKeyPairAsync = promisify(generateKeyPair);

/** HMAC secret size in bytes: the hash output size (RFC 7518 §3.2). */
const HMAC_SECRET_BYTES: Partial<Record<TestAlgorithm, number>> = { HS256: 32, HS384: 48, HS512: 64 };
/** EC curve (OpenSSL name) per algorithm. */
const EC_CURVES: Partial<Record<TestAlgorithm, string>> = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' };

/** Whether `value` is one of the {@link TestAlgorithm}s. */
export function isTestAlgorithm(value: unknown): value is TestAlgorithm {
  return typeof value === 'string' && (TEST_ALGORITHMS as readonly string[]).includes(value);
}

/** Whether the algorithm is an HMAC one (HS256, HS384, HS512), i.e. uses a shared secret. */
export function isHmacAlgorithm(algorithm: TestAlgorithm): boolean {
  return HMAC_SECRET_BYTES[algorithm] !== undefined;
}

/**
 * Makes fresh, random keys for `algorithm`: a hash-size random secret for HS*, an RSA key pair
 * (2048 bits unless `modulusLength` says otherwise) for RS* and PS*, a P-256/P-384/P-521 key pair
 * for ES256/ES384/ES512, and an Ed25519 key pair for EdDSA.
 *
 * @example
 * ```ts
 * const keys = await generateTestKeys('ES256');
 * const token = await mintToken(keys, { sub: 'user-1' }, { issuer: 'https://issuer.test/', audience: 'api' });
 * const verifier = createVerifier({ jwks: { keys: [keys.jwk] }, issuer: 'https://issuer.test/', audience: 'api' });
 * ```
 */
export async function generateTestKeys(algorithm: TestAlgorithm, options: GenerateTestKeysOptions = {}): Promise<TestKeys> {
  if (!isTestAlgorithm(algorithm)) {
    throw new TypeError(`generateTestKeys: unsupported algorithm ${JSON.stringify(algorithm)}; use one of ${TEST_ALGORITHMS.join(', ')}.`);
  }
  const kid = options.kid ?? `${algorithm.toLowerCase()}-${randomBytes(4).toString('hex')}`;
  if (typeof kid !== 'string' || kid === '') throw new TypeError('generateTestKeys: kid must be a non-empty string.');
  const isRsa = algorithm.startsWith('RS') || algorithm.startsWith('PS');
  if (options.modulusLength !== undefined && !isRsa) {
    throw new TypeError(`generateTestKeys: modulusLength applies to RSA keys (RS*, PS*), not ${algorithm}.`);
  }

  const secretBytes = HMAC_SECRET_BYTES[algorithm];
  if (secretBytes !== undefined) {
    const secret = new Uint8Array(randomBytes(secretBytes));
    const jwk: JWK = { kty: 'oct', k: Buffer.from(secret).toString('base64url'), kid, alg: algorithm };
    return { algorithm, kid, secret, jwk };
  }

  const { privateKey, publicKey } = await generatePair(algorithm, options.modulusLength);
  const exported = publicKey.export({ format: 'jwk' });
  const jwk: JWK = { ...exported, kid, alg: algorithm, use: 'sig' };
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return { algorithm, kid, privateKey, publicKey, jwk, publicKeyPem };
}

function generatePair(algorithm: TestAlgorithm, modulusLength: number | undefined): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  if (algorithm === 'EdDSA') return generateKeyPairAsync('ed25519');
  const namedCurve = EC_CURVES[algorithm];
  if (namedCurve !== undefined) return generateKeyPairAsync('ec', { namedCurve });
  const bits = modulusLength ?? 2048;
  if (!Number.isSafeInteger(bits) || bits < 2048) {
    throw new RangeError(`generateTestKeys: modulusLength must be an integer of 2048 or more (jose refuses to sign with smaller RSA keys); got ${bits}.`);
  }
  return generateKeyPairAsync('rsa', { modulusLength: bits, publicExponent: 0x10001 });
}
