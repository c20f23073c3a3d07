import { constants, createHmac, timingSafeEqual, verify, webcrypto, type KeyObject } from 'node:crypto';
import { compactVerify } from 'jose';
import type { Algorithm } from '../options.js';

const HASH: Record<Algorithm, string | null> = {
  HS256: 'sha256', HS384: 'sha384', HS512: 'sha512',
  RS256: 'sha256', RS384: 'sha384', RS512: 'sha512',
  PS256: 'sha256', PS384: 'sha384', PS512: 'sha512',
  ES256: 'sha256', ES384: 'sha384', ES512: 'sha512',
  EdDSA: null, Ed25519: null,
};

/** RFC 7518 §3.4: an ECDSA signature is R || S, each exactly the curve's coordinate size. */
const ECDSA_SIGNATURE_BYTES: Partial<Record<Algorithm, number>> = { ES256: 64, ES384: 96, ES512: 132 };

/**
 * The Node path: `node:crypto` directly on the pre-imported KeyObject, synchronous, with no
 * WebCrypto round trip — the cost is the primitive's. Each branch is the exact JWA operation:
 * HMAC compared in constant time, RSASSA-PKCS1-v1_5, RSASSA-PSS with a salt the size of the hash,
 * ECDSA over raw R||S (DER is refused), Ed25519/Ed448.
 */
export function nodeSignatureVerifier(
  alg: Algorithm,
  key: KeyObject,
  /** ASCII `header.payload`. */
  signingInput: string,
  signature: Buffer,
): boolean {
  const hash = HASH[alg];
  switch (alg) {
    case 'HS256':
    case 'HS384':
    case 'HS512': {
      // The ASCII text goes in as latin1, byte for byte: Node then copies it once, natively (a JS Buffer first costs ~1 µs more).
      const expected = createHmac(hash!, key).update(signingInput, 'latin1').digest();
      return expected.length === signature.length && timingSafeEqual(expected, signature);
    }
    default:
      return verifyAsymmetric(alg, hash, key, Buffer.from(signingInput, 'latin1'), signature);
  }
}

function verifyAsymmetric(alg: Algorithm, hash: string | null, key: KeyObject, signingInput: Buffer, signature: Buffer): boolean {
  switch (alg) {
    case 'RS256':
    case 'RS384':
    case 'RS512':
      return verify(hash, signingInput, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
    case 'PS256':
    case 'PS384':
    case 'PS512':
      return verify(hash, signingInput, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }, signature);
    case 'ES256':
    case 'ES384':
    case 'ES512':
      if (signature.length !== ECDSA_SIGNATURE_BYTES[alg]) return false;
      return verify(hash, signingInput, { key, dsaEncoding: 'ieee-p1363' }, signature);
    case 'EdDSA':
    case 'Ed25519':
      return verify(null, signingInput, key, signature);
    default:
      return false;
  }
}

/**
 * The WebCrypto path, through jose: for runtimes without `node:crypto`'s KeyObject verify, and as
 * the reference the Node path is tested against (the differential suite runs every vector through both).
 * `signingInput` and `signature` are the token's own, already split and decoded.
 */
export async function webCryptoSignatureVerifier(
  alg: Algorithm,
  key: KeyObject,
  token: string,
  signingInput: string,
  signature: Buffer,
): Promise<boolean> {
  // jose verifies EdDSA with Ed25519 keys only; WebCrypto itself has Ed448 (RFC 8037 §3.1), so an
  // Ed448 key is checked with it directly — the same verdict as the Node path, not a refusal.
  if (alg === 'EdDSA' && key.asymmetricKeyType === 'ed448') {
    return webcrypto.subtle.verify('Ed448', await ed448CryptoKey(key), signature, Buffer.from(signingInput, 'latin1'));
  }
  try {
    await compactVerify(token, key, { algorithms: [alg] });
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') return false;
    throw error;
  }
}

/** Each Ed448 KeyObject imported into WebCrypto once. */
const ed448Keys = new WeakMap<KeyObject, Promise<webcrypto.CryptoKey>>();

function ed448CryptoKey(key: KeyObject): Promise<webcrypto.CryptoKey> {
  let imported = ed448Keys.get(key);
  if (imported === undefined) {
    const spki = key.export({ type: 'spki', format: 'der' });
    imported = webcrypto.subtle.importKey('spki', spki, 'Ed448', false, ['verify']);
    ed448Keys.set(key, imported);
  }
  return imported;
}
