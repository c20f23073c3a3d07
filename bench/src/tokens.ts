/**
 * Keys and tokens. Keys come from @jwt-guard/testing (`generateTestKeys`); single tokens are
 * minted with its `mintToken`. Pools of thousands of distinct tokens are minted here with
 * node:crypto directly (same header and claims as `mintToken`, asynchronous signing on the
 * threadpool), because RSA signing dominates the bench's start-up otherwise. Every case verifies
 * a pool token before it is timed, so a bad pool cannot go unnoticed.
 */
import { constants, createHmac, randomBytes, randomUUID, sign, type KeyObject, type SignKeyObjectInput } from 'node:crypto';
import { generateTestKeys, mintToken, type TestKeys } from '@jwt-guard/testing';
import { AUDIENCE, ISSUER, mapLimit } from './common.js';

export type BenchAlgorithm = 'HS256' | 'RS256' | 'PS256' | 'ES256' | 'EdDSA';
export const PART_A_ALGORITHMS: readonly BenchAlgorithm[] = ['HS256', 'RS256', 'PS256', 'ES256', 'EdDSA'];

/** Keys with, for HS256, a printable secret string (see {@link stringSecretKeys}). */
export type BenchKeys = TestKeys & { secretString?: string };

/**
 * HS256 keys whose secret is a printable string (43 base64url characters, 256 bits of entropy):
 * express-oauth2-jwt-bearer takes its `secret` only as a string, so every HS256 case uses the
 * UTF-8 bytes of this one string as the HMAC key.
 */
export function stringSecretKeys(secret = randomBytes(32).toString('base64url')): BenchKeys {
  const bytes = new TextEncoder().encode(secret);
  return {
    algorithm: 'HS256',
    kid: 'bench-hs256',
    secret: bytes,
    secretString: secret,
    jwk: { kty: 'oct', k: Buffer.from(bytes).toString('base64url'), kid: 'bench-hs256', alg: 'HS256' },
  };
}

export async function makeKeys(algorithm: BenchAlgorithm): Promise<BenchKeys> {
  if (algorithm === 'HS256') return stringSecretKeys();
  return generateTestKeys(algorithm, { kid: `bench-${algorithm.toLowerCase()}` });
}

const keyCache = new Map<BenchAlgorithm, Promise<BenchKeys>>();
/** One key (pair) per algorithm for the whole run: Part A and Part B share keys and pools. */
export function keysFor(algorithm: BenchAlgorithm): Promise<BenchKeys> {
  let keys = keyCache.get(algorithm);
  if (keys === undefined) keyCache.set(algorithm, (keys = makeKeys(algorithm)));
  return keys;
}

/** One valid access token from @jwt-guard/testing: iss, aud, sub, iat, exp (+1 h), a random jti. */
export function mintOne(keys: TestKeys): Promise<string> {
  return mintToken(keys, {}, { issuer: ISSUER, audience: AUDIENCE, subject: 'user-1', expiresIn: '1h' });
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function signer(keys: TestKeys): (input: Buffer) => Promise<Buffer> {
  const algorithm = keys.algorithm as BenchAlgorithm;
  if (algorithm === 'HS256') {
    const secret = Buffer.from(keys.secret!);
    return async (input) => createHmac('sha256', secret).update(input).digest();
  }
  const privateKey: KeyObject = keys.privateKey!;
  let keyInput: SignKeyObjectInput | KeyObject = privateKey;
  if (algorithm === 'PS256') keyInput = { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST };
  if (algorithm === 'ES256') keyInput = { key: privateKey, dsaEncoding: 'ieee-p1363' };
  const digest = algorithm === 'EdDSA' ? null : 'sha256';
  return (input) =>
    new Promise((resolve, reject) => {
      sign(digest, input, keyInput, (error, signature) => (error ? reject(error) : resolve(signature)));
    });
}

/** `count` distinct valid tokens: the same header and claims as {@link mintOne}, each with its own jti. */
export async function mintPool(keys: TestKeys, count: number): Promise<string[]> {
  const header = b64({ alg: keys.algorithm, typ: 'JWT', kid: keys.kid });
  const signWith = signer(keys);
  const now = Math.floor(Date.now() / 1000);
  return mapLimit(Array.from({ length: count }), 64, async () => {
    const payload = b64({ iss: ISSUER, sub: 'user-1', aud: AUDIENCE, iat: now, exp: now + 3600, jti: randomUUID() });
    const input = `${header}.${payload}`;
    const signature = await signWith(Buffer.from(input, 'latin1'));
    return `${input}.${signature.toString('base64url')}`;
  });
}

const poolCache = new Map<BenchAlgorithm, { size: number; tokens: Promise<string[]> }>();
/** The run's pool for `algorithm` (minted once, shared by both parts; grown if a larger one is asked for). */
export async function poolFor(algorithm: BenchAlgorithm, size: number): Promise<string[]> {
  const cached = poolCache.get(algorithm);
  if (cached !== undefined && cached.size >= size) return (await cached.tokens).slice(0, size);
  const tokens = keysFor(algorithm).then((keys) => mintPool(keys, size));
  poolCache.set(algorithm, { size, tokens });
  return tokens;
}
