import { createPublicKey, createSecretKey, KeyObject, webcrypto, type JsonWebKey } from 'node:crypto';
import { isAlgorithm, keyFitsAlgorithm, type KeyFamily } from '../algorithms.js';
import { configError } from '../errors.js';
import type { JWK, PublicKeyInput, SecretInput } from '../options.js';
import { keyMaterialKind } from './key-material.js';
import { hasRocaFingerprint } from './roca.js';
import type { VerificationKey } from './verification-key.js';

const CURVE_NAMES: Record<string, string> = {
  prime256v1: 'P-256',
  secp384r1: 'P-384',
  secp521r1: 'P-521',
};

const encoder = new TextEncoder();

/** Imports an HMAC secret. Size is checked against the algorithms later, once they are known. */
export function importSecret(secret: SecretInput, kid: string | undefined, where: string): VerificationKey {
  let bytes: Uint8Array;
  if (typeof secret === 'string') bytes = encoder.encode(secret);
  else if (secret instanceof Uint8Array) bytes = secret;
  else if (isKeyObjectOrJwk(secret)) {
    throw configError(`${where} is a key object or a JWK, not an HMAC secret (a string or a Uint8Array). ${PUBLIC_KEYS_BELONG_IN_PUBLIC_KEY}`);
  } else throw configError(`${where} must be a string or a Uint8Array.`);
  if (bytes.byteLength === 0) throw configError(`${where} is empty. ${HOW_TO_MAKE_A_SECRET}`);
  const material = keyMaterialKind(bytes);
  if (material !== undefined) {
    throw configError(
      `${where} is ${material}, not an HMAC secret: a token HMAC-signed with public key material would verify, and anyone can get that ` +
        `(key confusion, RFC 8725 §2.1). ${PUBLIC_KEYS_BELONG_IN_PUBLIC_KEY}`,
    );
  }
  return {
    key: createSecretKey(bytes),
    family: 'oct',
    curve: undefined,
    kid,
    alg: undefined,
    strictKid: false,
    secretLength: bytes.byteLength,
  };
}

const PUBLIC_KEYS_BELONG_IN_PUBLIC_KEY =
  'Pass the key as `publicKey` (a PEM, a JWK, a KeyObject; a private key is reduced to its public half) or in `jwks`, ' +
  'with an asymmetric algorithm such as RS256, ES256 or EdDSA; `secret` is for a shared random HMAC secret only.';

export const HOW_TO_MAKE_A_SECRET =
  'Generate one with: node -e "console.log(require(\'node:crypto\').randomBytes(32).toString(\'base64url\'))" ' +
  'and keep it out of source control.';

/**
 * Imports a public key from any accepted form. A private key is reduced to its public half; a
 * secret is refused, because an HMAC secret must never sit where a public key is expected.
 */
export function importPublicKey(input: PublicKeyInput, where: string): VerificationKey {
  if (input instanceof KeyObject) return fromKeyObject(input, undefined, undefined, false, where);
  if (isCryptoKey(input)) return fromKeyObject(KeyObject.from(input), undefined, undefined, false, where);
  if (typeof input === 'string' || input instanceof Uint8Array) {
    const text = typeof input === 'string' ? input : Buffer.from(input).toString('utf8');
    if (!text.includes('-----BEGIN')) {
      throw configError(
        `${where} is not a PEM key. Pass a PEM string ('-----BEGIN PUBLIC KEY-----…'), a JWK, a KeyObject or a CryptoKey; ` +
          'an HMAC secret belongs in `secret`.',
      );
    }
    let key: KeyObject;
    try {
      key = createPublicKey(text);
    } catch (cause) {
      throw withCause(configError(`${where} could not be read as a PEM public key or certificate.`), cause);
    }
    return fromKeyObject(key, undefined, undefined, false, where);
  }
  if (typeof input === 'object' && input !== null && typeof (input).kty === 'string') {
    const jwk = input;
    if (jwk.kty === 'oct') {
      throw configError(`${where} is an "oct" JWK, an HMAC secret: pass it in \`secret\` or in a \`jwks\` set.`);
    }
    const imported = importJwk(jwk, false, where);
    if (typeof imported === 'string') throw configError(`${where}: ${imported}`);
    return imported;
  }
  throw configError(`${where} must be a PEM string, a JWK, a KeyObject or a CryptoKey.`);
}

/**
 * Imports one JWK. Returns a reason string when the key is well-formed but not for signature
 * verification (`use: enc`, `key_ops` without `verify`, an `alg` we do not verify) — callers
 * reading a key set skip such keys; callers given a single key refuse it. Keys the RFCs forbid
 * always throw.
 */
export function importJwk(jwk: JWK, strictKid: boolean, where: string): VerificationKey | string {
  if (typeof jwk !== 'object' || jwk === null || typeof jwk.kty !== 'string') {
    throw configError(`${where} is not a JWK (it has no "kty").`);
  }
  if (jwk.kid !== undefined && typeof jwk.kid !== 'string') throw configError(`${where} has a non-string "kid".`);
  if (jwk.use !== undefined && jwk.use !== 'sig') return `its "use" is "${String(jwk.use)}", not "sig"`;
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) {
    return 'its "key_ops" do not include "verify"';
  }
  if (jwk.alg !== undefined && !isAlgorithm(jwk.alg)) return `its "alg" (${String(jwk.alg)}) is not a signature algorithm jwt-guard verifies`;
  const alg = jwk.alg;

  if (jwk.kty === 'oct') {
    if (typeof jwk.k !== 'string') throw configError(`${where} is an "oct" JWK without "k".`);
    const secret = Buffer.from(jwk.k, 'base64url');
    if (secret.byteLength === 0) throw configError(`${where} is an empty HMAC secret. ${HOW_TO_MAKE_A_SECRET}`);
    const key = importSecret(secret, jwk.kid, where);
    return checkAlgFitsKey({ ...key, alg, strictKid }, where);
  }

  const publicMembers: Record<string, unknown> = { kty: jwk.kty };
  for (const member of ['crv', 'x', 'y', 'n', 'e'] as const) {
    if (jwk[member] !== undefined) publicMembers[member] = jwk[member];
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: publicMembers as JsonWebKey, format: 'jwk' });
  } catch (cause) {
    // Node refuses EC points that are not on the curve here, as RFC 8725 §3.4 requires.
    throw withCause(configError(`${where} is not a valid ${jwk.kty} public key (${errorMessage(cause)}).`), cause);
  }
  return checkAlgFitsKey(fromKeyObject(key, jwk.kid, alg, strictKid, where), where);
}

/** A JWK `alg` binds the key to it; one the key cannot carry out (HS256 on an RSA key) is refused, not inferred. */
function checkAlgFitsKey(key: VerificationKey, where: string): VerificationKey {
  if (key.alg !== undefined && !keyFitsAlgorithm(key.family, key.curve, key.alg)) {
    throw configError(`${where} has "alg" ${key.alg}, which does not fit its ${key.family}${key.curve === undefined ? '' : ` ${key.curve}`} key.`);
  }
  return key;
}

function fromKeyObject(
  input: KeyObject,
  kid: string | undefined,
  alg: VerificationKey['alg'],
  strictKid: boolean,
  where: string,
): VerificationKey {
  if (input.type === 'secret') {
    throw configError(`${where} is a secret KeyObject: HMAC secrets belong in \`secret\`.`);
  }
  const key = input.type === 'private' ? createPublicKey(input) : input;
  const { family, curve } = describe(key, where);
  if (family === 'RSA') checkRsa(key, where);
  return { key, family, curve, kid, alg, strictKid, secretLength: undefined };
}

function describe(key: KeyObject, where: string): { family: KeyFamily; curve: string | undefined } {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return { family: 'RSA', curve: undefined };
    case 'ec': {
      const named = key.asymmetricKeyDetails?.namedCurve ?? '';
      const curve = CURVE_NAMES[named];
      if (curve === undefined) throw configError(`${where} uses the EC curve ${named}; jwt-guard verifies P-256, P-384 and P-521.`);
      return { family: 'EC', curve };
    }
    case 'ed25519':
      return { family: 'OKP', curve: 'Ed25519' };
    case 'ed448':
      return { family: 'OKP', curve: 'Ed448' };
    default:
      throw configError(
        `${where} is a ${String(key.asymmetricKeyType)} key; jwt-guard verifies RSA, EC (P-256/384/521) and Ed25519/Ed448 keys.`,
      );
  }
}

/** RFC 7518 §3.3: RSA keys of 2048 bits or more; an exponent of 1 or an even one forges trivially. */
function checkRsa(key: KeyObject, where: string): void {
  const details = key.asymmetricKeyDetails;
  const bits = details?.modulusLength ?? 0;
  if (bits < 2048) throw configError(`${where} is a ${bits}-bit RSA key; RFC 7518 §3.3 requires 2048 bits or more.`);
  const exponent = details?.publicExponent;
  if (exponent === undefined || exponent <= 1n || exponent % 2n === 0n) {
    throw configError(`${where} has an RSA public exponent that is not odd and greater than 1.`);
  }
  const n = key.export({ format: 'jwk' }).n;
  if (n !== undefined && hasRocaFingerprint(BigInt(`0x${Buffer.from(n, 'base64url').toString('hex')}`))) {
    throw configError(`${where} is an RSA key with the ROCA weakness (CVE-2017-15361): it can be factored. Replace the key.`);
  }
}

/** A key that JavaScript callers (no type checker) may pass where a secret is expected. */
function isKeyObjectOrJwk(value: unknown): boolean {
  return value instanceof KeyObject || isCryptoKey(value) || (typeof value === 'object' && value !== null && 'kty' in value);
}

/** By tag, not `instanceof`: Node 20 does not expose the CryptoKey class on `webcrypto`. */
function isCryptoKey(value: unknown): value is webcrypto.CryptoKey {
  return (value as { [Symbol.toStringTag]?: unknown } | null)?.[Symbol.toStringTag] === 'CryptoKey';
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function withCause<E extends Error>(error: E, cause: unknown): E {
  Object.defineProperty(error, 'cause', { value: cause, enumerable: false, configurable: true, writable: true });
  return error;
}
