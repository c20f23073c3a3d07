import { createPrivateKey, createPublicKey, KeyObject, webcrypto, type JsonWebKey } from 'node:crypto';
import { configError, createVerifier, type Algorithm, type JWK, type SecretInput, type VerifierOptions } from '@jwt-guard/core';

/** The keys the session signs with: the guard's key vocabulary, for signing. Exactly one of `secret`, `privateKey`. */
export interface SigningKeyOptions {
  /**
   * An HMAC secret (HS256 by default; HS384/HS512 with `algorithm`), with the guard's strength
   * checks: at least as many bytes as the hash, not a placeholder. A string's UTF-8 bytes are the key.
   */
  secret?: SecretInput;
  /**
   * A private key: PEM (PKCS#8, SEC1 or PKCS#1), a private JWK (with `d`) or a `KeyObject`. The
   * guard verifies with its public half. The algorithm comes from the key (ES256/384/512 by
   * curve, EdDSA for Ed25519, RS256 for RSA, a JWK's `alg`) unless `algorithm` is given.
   */
  privateKey?: string | Uint8Array | JWK | KeyObject;
  /** The signing algorithm, when the key does not decide it (PS256 for an RSA key, HS512 for a secret). */
  algorithm?: Algorithm;
  /** Put in every access token's header; a JWK's own `kid` is used when this is not given. */
  kid?: string;
}

export interface SigningKey {
  alg: Algorithm;
  kid: string | undefined;
  /**
   * What jose's `sign` takes, made once: for HMAC a WebCrypto key (jose signs HMAC through WebCrypto
   * and would import raw bytes or a KeyObject again for every token: twice the cost of the refresh).
   */
  key: () => Promise<KeyObject | webcrypto.CryptoKey>;
  /** The guard's key options for what this key signs: `{ secret }` or `{ publicKey }`. */
  verification: Pick<VerifierOptions, 'secret' | 'publicKey'>;
}

const encoder = new TextEncoder();

/**
 * Imports the signing key and checks it the way the guard will: a verifier is built for it here
 * (the same secret-strength, key-size and algorithm-fit checks, with the guard's messages), and
 * its inferred algorithm is the one we sign with.
 */
export function importSigningKey(options: SigningKeyOptions): SigningKey {
  const { secret, privateKey, kid } = options;
  if ((secret === undefined) === (privateKey === undefined)) {
    throw configError('createSessions needs exactly one signing key: `secret` (HMAC) or `privateKey` (PEM, JWK or KeyObject).');
  }
  if (kid !== undefined && (typeof kid !== 'string' || kid === '')) throw configError('`kid` must be a non-empty string.');
  let key: KeyObject | Uint8Array;
  let verification: SigningKey['verification'];
  let algorithm = options.algorithm;
  let keyId = kid;
  if (secret !== undefined) {
    // One signing secret (the guard's `{ kid, secret }[]` rotation list is for verifying). The
    // verifier below refuses key objects, PEM text and weak secrets, with the guard's messages.
    if (typeof secret !== 'string' && !(secret instanceof Uint8Array)) {
      throw configError('`secret` must be one HMAC secret, a string or a Uint8Array (sessions sign with one key; set `kid` to name it).');
    }
    verification = { secret };
    key = typeof secret === 'string' ? encoder.encode(secret) : secret;
  } else {
    const imported = importPrivateKey(privateKey as NonNullable<typeof privateKey>);
    key = imported.key;
    verification = { publicKey: createPublicKey(imported.key) };
    algorithm ??= imported.alg;
    keyId ??= imported.kid;
  }
  const verifier = createVerifier({
    ...verification,
    ...(algorithm === undefined ? {} : { algorithms: [algorithm] }),
    issuer: false,
    audience: false,
    tokenCache: false,
  });
  const alg = verifier.algorithms[0];
  if (alg === undefined || verifier.algorithms.length !== 1) {
    throw configError(`the signing key fits several algorithms (${verifier.algorithms.join(', ')}): choose one with \`algorithm\`.`);
  }
  let imported: Promise<KeyObject | webcrypto.CryptoKey> | undefined;
  const signWith = key;
  const hash = { HS256: 'SHA-256', HS384: 'SHA-384', HS512: 'SHA-512' }[alg as string];
  return {
    alg,
    kid: keyId,
    key: () =>
      (imported ??= signWith instanceof KeyObject || hash === undefined
        ? Promise.resolve(signWith as KeyObject)
        : webcrypto.subtle.importKey('raw', signWith, { name: 'HMAC', hash }, false, ['sign'])),
    verification,
  };
}

function importPrivateKey(input: string | Uint8Array | JWK | KeyObject): { key: KeyObject; alg: Algorithm | undefined; kid: string | undefined } {
  if (input instanceof KeyObject) {
    if (input.type !== 'private') throw configError('`privateKey` is a ' + input.type + ' KeyObject; the session signs, so it needs the private key.');
    return { key: input, alg: undefined, kid: undefined };
  }
  if (typeof input === 'string' || input instanceof Uint8Array) {
    const text = typeof input === 'string' ? input : Buffer.from(input).toString('utf8');
    if (!/-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/.test(text)) {
      throw configError("`privateKey` is not a PEM private key ('-----BEGIN PRIVATE KEY-----…'); an HMAC secret belongs in `secret`.");
    }
    return { key: importOrExplain(() => createPrivateKey(text), 'a PEM private key'), alg: undefined, kid: undefined };
  }
  if (typeof input === 'object' && input !== null && typeof input.kty === 'string') {
    if (input.kty === 'oct') throw configError('`privateKey` is an "oct" JWK, an HMAC secret: pass it in `secret`.');
    if (typeof input.d !== 'string') throw configError('`privateKey` is a public JWK (it has no "d"); the session signs, so it needs the private key.');
    const key = importOrExplain(() => createPrivateKey({ key: input as JsonWebKey, format: 'jwk' }), `a private ${input.kty} JWK`);
    return { key, alg: input.alg as Algorithm | undefined, kid: input.kid };
  }
  throw configError('`privateKey` must be a PEM string, a private JWK or a KeyObject.');
}

function importOrExplain(importKey: () => KeyObject, what: string): KeyObject {
  try {
    return importKey();
  } catch (cause) {
    const error = configError(`\`privateKey\` could not be read as ${what} (${cause instanceof Error ? cause.message : String(cause)}).`);
    Object.defineProperty(error, 'cause', { value: cause, enumerable: false, configurable: true, writable: true });
    throw error;
  }
}
