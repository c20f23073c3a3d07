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

/** A kid ends up in headers, logs and a sourced `.env` file: a safe charset only. */
export const KID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
/** RSA sizes keygen makes: below 2048 the verifier refuses the key; above 8192 generation takes minutes for nothing. */
export const RSA_BITS = { min: 2048, max: 8192 } as const;

const SECRET_BYTES: Record<string, number> = { HS256: 32, HS384: 48, HS512: 64 };
const CURVES: Record<string, string> = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' };

/** A strong random secret (HS*), or a key pair with its public JWK Set. */
export function generateKeys(options: KeygenOptions): GeneratedKeys {
  const alg = options.alg as KeygenAlgorithm;
  if (!(KEYGEN_ALGORITHMS as readonly string[]).includes(alg)) {
    throw new UsageError(`keygen: --alg must be one of ${KEYGEN_ALGORITHMS.join(', ')}; got ${JSON.stringify(options.alg)}.`);
  }
  if (options.kid !== undefined && !KID_PATTERN.test(options.kid)) {
    throw new UsageError('keygen: --kid must be 1 to 128 characters of A-Z a-z 0-9 . _ : - (it is written into headers, logs and .env files).');
  }
  const date = new Date().toISOString().slice(0, 10);
  const kid = options.kid ?? `${alg.toLowerCase()}-${date}-${randomBytes(3).toString('hex')}`;
  const isRsa = alg.startsWith('RS') || alg.startsWith('PS');
  if (options.bits !== undefined && !isRsa) throw new UsageError(`keygen: --bits is for RSA keys only (RS* and PS*), not ${alg}; drop it.`);
  const secretBytes = SECRET_BYTES[alg];
  if (secretBytes !== undefined) {
    // base64url text of `secretBytes` random bytes: longer than the hash size, all of it entropy.
    return { alg, kid, secret: randomBytes(secretBytes).toString('base64url') };
  }
  let pair: { privateKey: KeyObject; publicKey: KeyObject };
  if (alg === 'EdDSA') pair = generateKeyPairSync('ed25519');
  else if (CURVES[alg] !== undefined) pair = generateKeyPairSync('ec', { namedCurve: CURVES[alg] });
  else {
    const bits = options.bits ?? RSA_BITS.min;
    if (!Number.isSafeInteger(bits) || bits < RSA_BITS.min || bits > RSA_BITS.max || bits % 8 !== 0) {
      throw new UsageError(`keygen: --bits must be a multiple of 8 from ${RSA_BITS.min} to ${RSA_BITS.max} (RSA); got ${String(bits)}.`);
    }
    pair = generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: 0x10001 });
  }
  const publicJwk: JWK = { ...(pair.publicKey.export({ format: 'jwk' }) as JWK), kid, alg, use: 'sig' };
  const privateJwk: JWK = { ...(pair.privateKey.export({ format: 'jwk' }) as JWK), kid, alg, use: 'sig' };
  const privateKeyPem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { alg, kid, privateKeyPem, privateJwk, jwks: { keys: [publicJwk] } };
}

/**
 * A value for a `.env` file that a shell can `source` without running anything: single-quoted,
 * with each `'` written as `'\''`. Newlines never appear (PEMs are written with `\n` escapes).
 */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, "'\\''")}'`;
}

export const PREFIX_PATTERN = /^[A-Z][A-Z0-9_]{0,63}$/;

/** Lines ready to paste into a `.env` file or `source` in a shell (values single-quoted; the PEM double-quoted with `\n` escapes). */
export function formatEnv(keys: GeneratedKeys, prefix = 'JWT'): string {
  if (!PREFIX_PATTERN.test(prefix)) throw new UsageError('keygen: --prefix must be an environment variable name (A-Z, 0-9, _; starting with a letter).');
  if (!KID_PATTERN.test(keys.kid)) throw new UsageError('keygen: the kid must be 1 to 128 characters of A-Z a-z 0-9 . _ : -.');
  const lines = [`# jwt-guard keygen --alg ${keys.alg} (kid ${keys.kid}) — ${new Date().toISOString()}`];
  if (keys.secret !== undefined) {
    lines.push('# The verifier and the issuer share this secret: jwtGuard({ secret: secretFromEnv(\'' + `${prefix}_SECRET'), ... })`);
    lines.push('# Its text is used as is (its UTF-8 bytes are the key), not base64url-decoded; jwt-guard mint/inspect --secret-env read it the same way.');
    lines.push(`${prefix}_SECRET=${shellQuote(keys.secret)}`);
    lines.push(`${prefix}_SECRET_KID=${shellQuote(keys.kid)}`);
    return `${lines.join('\n')}\n`;
  }
  lines.push(`# Private: only the token issuer gets this. Never commit it. (jwt-guard mint --private-key-env ${prefix}_PRIVATE_KEY finds the kid in ${prefix}_JWKS.)`);
  // Double quotes, so that dotenv turns the `\n` escapes back into newlines. Safe to source: a PEM is
  // base64, dashes and spaces only (checked), nothing a shell expands inside double quotes.
  const pem = (keys.privateKeyPem ?? '').trim();
  if (!/^[A-Za-z0-9+/= \n-]+$/.test(pem)) throw new Error('keygen: unexpected characters in the generated PEM.');
  lines.push(`${prefix}_PRIVATE_KEY="${pem.replace(/\n/g, '\\n')}"`);
  lines.push('# The kid of this key pair: the issuer puts it in each token header, the JWKS below holds it.');
  lines.push(`${prefix}_KID=${shellQuote(keys.kid)}`);
  lines.push(`# Public: the API verifies with jwtGuard({ jwks: JSON.parse(process.env.${prefix}_JWKS), ... }), or serve it as your JWKS URL.`);
  lines.push(`${prefix}_JWKS=${shellQuote(JSON.stringify(keys.jwks))}`);
  return `${lines.join('\n')}\n`;
}
