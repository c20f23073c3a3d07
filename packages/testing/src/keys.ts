import { createPrivateKey, createPublicKey, generateKeyPair, KeyObject, randomBytes, type JsonWebKey } from 'node:crypto';
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

/** Your own key material for {@link importTestKeys}: a secret for HS*, a private key otherwise. */
export interface TestKeyMaterial {
  /** HS*: the shared secret, as the verifier takes it (a string's UTF-8 bytes are the key). */
  secret?: string | Uint8Array;
  /** Asymmetric: the private key, as a `KeyObject`, a PEM (PKCS#8, PKCS#1 or SEC1) or a private JWK (with `d`). */
  privateKey?: KeyObject | string | JWK;
  /** The key id put in every token header. Default: the JWK's own `kid`, else `<alg>-<8 random hex digits>`. */
  kid?: string;
}

const EC_ALGORITHMS: Readonly<Record<string, TestAlgorithm>> = { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' };

/**
 * Wraps key material you already have (the secret your app reads from its environment, a private
 * key from a fixture) as {@link TestKeys}, so tokens are signed with it. `algorithm` may be left
 * out: HS256 for a secret; for a private key, the JWK's `alg`, else RS256, ES256/384/512 by curve,
 * or EdDSA. A key that cannot sign `algorithm` is refused here, not at the first `sign()`.
 */
export function importTestKeys(algorithm: TestAlgorithm | undefined, material: TestKeyMaterial): TestKeys {
  const { secret, privateKey: input } = material;
  if ((secret === undefined) === (input === undefined)) {
    throw new TypeError('importTestKeys: give exactly one of secret (HS256, HS384, HS512) or privateKey (RS*, PS*, ES*, EdDSA).');
  }
  const jwkInput = typeof input === 'object' && !isKeyObject(input) ? input : undefined;
  const kid = material.kid ?? (typeof jwkInput?.kid === 'string' ? jwkInput.kid : undefined);
  if (secret !== undefined) {
    const alg = algorithm ?? 'HS256';
    if (!isTestAlgorithm(alg) || !isHmacAlgorithm(alg)) {
      throw new TypeError(`importTestKeys: a secret signs HS256, HS384 or HS512, not ${String(alg)}; an asymmetric algorithm needs privateKey.`);
    }
    const bytes = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret instanceof Uint8Array ? new Uint8Array(secret) : undefined;
    if (bytes === undefined || bytes.byteLength === 0) throw new TypeError('importTestKeys: secret must be a non-empty string or Uint8Array.');
    const id = kid ?? randomKid(alg);
    return { algorithm: alg, kid: id, secret: bytes, jwk: { kty: 'oct', k: Buffer.from(bytes).toString('base64url'), kid: id, alg } };
  }

  const privateKey = toPrivateKey(input!);
  const alg = algorithm ?? (typeof jwkInput?.alg === 'string' && isTestAlgorithm(jwkInput.alg) ? jwkInput.alg : algorithmOf(privateKey));
  if (!isTestAlgorithm(alg) || isHmacAlgorithm(alg)) {
    throw new TypeError(`importTestKeys: a private key signs RS*, PS*, ES* or EdDSA, not ${String(alg)}; an HMAC algorithm needs secret.`);
  }
  if (jwkInput?.alg !== undefined && jwkInput.alg !== alg) {
    throw new TypeError(`importTestKeys: the JWK says alg ${String(jwkInput.alg)}, not ${alg}: the verifier would refuse its tokens.`);
  }
  checkKeyFits(privateKey, alg);
  const publicKey = createPublicKey(privateKey);
  const id = kid ?? randomKid(alg);
  const jwk: JWK = { ...publicKey.export({ format: 'jwk' }), kid: id, alg, use: 'sig' };
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return { algorithm: alg, kid: id, privateKey, publicKey, jwk, publicKeyPem };
}

function randomKid(algorithm: TestAlgorithm): string {
  return `${algorithm.toLowerCase()}-${randomBytes(4).toString('hex')}`;
}

function isKeyObject(value: unknown): value is KeyObject {
  return value instanceof KeyObject;
}

function toPrivateKey(input: KeyObject | string | JWK): KeyObject {
  if (isKeyObject(input)) {
    if (input.type !== 'private') throw new TypeError(`importTestKeys: privateKey is a ${input.type} key; signing needs the private key.`);
    return input;
  }
  try {
    if (typeof input === 'string') return createPrivateKey(input);
    if (typeof input === 'object' && input !== null && typeof input.d === 'string') return createPrivateKey({ key: input as JsonWebKey, format: 'jwk' });
  } catch (cause) {
    throw new TypeError('importTestKeys: privateKey could not be read as a private key (a PEM or a private JWK).', { cause });
  }
  throw new TypeError('importTestKeys: privateKey must be a private KeyObject, a PEM private key, or a private JWK (with "d").');
}

function algorithmOf(key: KeyObject): TestAlgorithm | undefined {
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'rsa-pss') return 'PS256';
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  if (key.asymmetricKeyType === 'ec') return EC_ALGORITHMS[key.asymmetricKeyDetails?.namedCurve ?? ''];
  return undefined;
}

function checkKeyFits(key: KeyObject, algorithm: TestAlgorithm): void {
  const type = key.asymmetricKeyType;
  let fits: boolean;
  if (algorithm.startsWith('RS')) fits = type === 'rsa';
  else if (algorithm.startsWith('PS')) fits = type === 'rsa' || type === 'rsa-pss';
  else if (algorithm === 'EdDSA') fits = type === 'ed25519';
  else fits = type === 'ec' && EC_ALGORITHMS[key.asymmetricKeyDetails?.namedCurve ?? ''] === algorithm;
  if (!fits) {
    const what = type === 'ec' ? `an EC ${key.asymmetricKeyDetails?.namedCurve ?? ''} key` : `an ${String(type)} key`;
    throw new TypeError(`importTestKeys: privateKey is ${what}, which cannot sign ${algorithm}.`);
  }
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (bits !== undefined && bits < 2048) throw new RangeError(`importTestKeys: the RSA key has ${bits} bits; jose refuses to sign with less than 2048.`);
}
