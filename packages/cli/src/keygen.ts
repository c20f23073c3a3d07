import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import type { JWK } from '@jwt-guard/core';
import { UsageError } from './time.js';

export const KEYGEN_ALGORITHMS = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
export type KeygenAlgorithm = (typeof KEYGEN_ALGORITHMS)[number];

export interface KeygenOptions {
  alg: string;
  kid?: string;
  /** RSA modulus length; default 2048 (at least 2048). */
  bits?: number;
}

export interface GeneratedKeys {
  alg: KeygenAlgorithm;
  kid: string;
  /** HS*: the secret, base64url (its text is the key, as jwt-guard reads `secret` strings). */
  secret?: string;
  /** Asymmetric: the private key, PKCS#8 PEM. */
  privateKeyPem?: string;
  /** Asymmetric: the private key as a JWK (for signers that take JWKs). */
  privateJwk?: JWK;
  /** Asymmetric: the public JWK Set to publish or pass as `jwks`. */
  jwks?: { keys: JWK[] };
}

const SECRET_BYTES: Record<string, number> = { HS256: 32, HS384: 48, HS512: 64 };
const CURVES: Record<string, string> = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' };

/** A strong random secret (HS*), or a key pair with its public JWK Set. */
export function generateKeys(options: KeygenOptions): GeneratedKeys {
  const alg = options.alg as KeygenAlgorithm;
  if (!(KEYGEN_ALGORITHMS as readonly string[]).includes(alg)) {
    throw new UsageError(`keygen: --alg must be one of ${KEYGEN_ALGORITHMS.join(', ')}; got ${JSON.stringify(options.alg)}.`);
  }
  const date = new Date().toISOString().slice(0, 10);
  const kid = options.kid ?? `${alg.toLowerCase()}-${date}-${randomBytes(3).toString('hex')}`;
  const secretBytes = SECRET_BYTES[alg];
  if (secretBytes !== undefined) {
    // base64url text of `secretBytes` random bytes: longer than the hash size, all of it entropy.
    return { alg, kid, secret: randomBytes(secretBytes).toString('base64url') };
  }
  let pair: { privateKey: KeyObject; publicKey: KeyObject };
  if (alg === 'EdDSA') pair = generateKeyPairSync('ed25519');
  else if (CURVES[alg] !== undefined) pair = generateKeyPairSync('ec', { namedCurve: CURVES[alg] });
  else {
    const bits = options.bits ?? 2048;
    if (!Number.isSafeInteger(bits) || bits < 2048) throw new UsageError(`keygen: --bits must be 2048 or more; got ${bits}.`);
    pair = generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: 0x10001 });
  }
  const publicJwk: JWK = { ...(pair.publicKey.export({ format: 'jwk' }) as JWK), kid, alg, use: 'sig' };
  const privateJwk: JWK = { ...(pair.privateKey.export({ format: 'jwk' }) as JWK), kid, alg, use: 'sig' };
  const privateKeyPem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { alg, kid, privateKeyPem, privateJwk, jwks: { keys: [publicJwk] } };
}

/** Lines ready to paste into a `.env` file (PEM newlines written as `\n` inside double quotes). */
export function formatEnv(keys: GeneratedKeys, prefix = 'JWT'): string {
  const lines = [`# jwt-guard keygen --alg ${keys.alg} (kid ${keys.kid}) — ${new Date().toISOString()}`];
  if (keys.secret !== undefined) {
    lines.push('# The verifier and the issuer share this secret: jwtGuard({ secret: secretFromEnv(\'' + `${prefix}_SECRET'), ... })`);
    lines.push(`${prefix}_SECRET=${keys.secret}`);
    lines.push(`${prefix}_SECRET_KID=${keys.kid}`);
    return `${lines.join('\n')}\n`;
  }
  lines.push(`# Private: only the token issuer gets this. Never commit it.`);
  lines.push(`${prefix}_PRIVATE_KEY="${(keys.privateKeyPem ?? '').trim().replace(/\n/g, '\\n')}"`);
  lines.push(`# Public: the API verifies with jwtGuard({ jwks: JSON.parse(process.env.${prefix}_JWKS), ... }), or serve it as your JWKS URL.`);
  lines.push(`${prefix}_JWKS='${JSON.stringify(keys.jwks)}'`);
  return `${lines.join('\n')}\n`;
}
