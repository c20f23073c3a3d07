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

/** The signature size of each algorithm, in bytes (a forged one has the right size). */
const SIGNATURE_BYTES: Record<BenchAlgorithm, number> = { HS256: 32, RS256: 256, PS256: 256, ES256: 64, EdDSA: 64 };

/** The default maxTokenLength: hostile and long tokens are made as long as a token may be. */
export const MAX_TOKEN_LENGTH = 8192;

/**
 * Hostile token shapes: what an attacker can send that is costly to parse, each as long as
 * `maxTokenLength` allows, with a signature of the right size that does not verify. Payload shapes
 * (the payload is never parsed before the signature holds) and header shapes (the header is; its
 * shape is bounded first). Every token has its own header (a `kid` of its own), so none is answered
 * from the verifier's cache of decoded headers.
 */
export const HOSTILE_SHAPES = {
  'deep nesting': (fill: number) => `{"iss":"${ISSUER}","x":${'['.repeat(fill >> 1)}${']'.repeat(fill >> 1)}}`,
  'deep objects': (fill: number) => `{"iss":"${ISSUER}","x":${'{"a":'.repeat(Math.floor(fill / 6))}1${'}'.repeat(Math.floor(fill / 6))}}`,
  'wide object': (fill: number) => `{"iss":"${ISSUER}",${Array.from({ length: Math.floor(fill / 9) }, (_, i) => `"k${String(i).padStart(4, '0')}":1`).join(',')}}`,
  'many escapes': (fill: number) => `{"iss":"${ISSUER}","x":"${'\\u0041'.repeat(Math.floor(fill / 6))}"}`,
  'huge number': (fill: number) => `{"iss":"${ISSUER}","x":${'9'.repeat(fill)}}`,
  'duplicate names': (fill: number) => `{"iss":"${ISSUER}",${Array.from({ length: Math.floor(fill / 8) }, () => '"sub":1').join(',')}}`,
  'not JSON': (fill: number) => 'x'.repeat(fill),
  'header: deep nesting': (fill: number) => ({ header: `,"x":${'['.repeat(fill >> 1)}${']'.repeat(fill >> 1)}` }),
  'header: 32 values': (fill: number) => ({
    header: `,${Array.from({ length: 29 }, (_, i) => `"h${i}":"${'v'.repeat(Math.max(0, Math.floor(fill / 29) - 8))}"`).join(',')}`,
  }),
  // As many characters outside strings as a header may have (512).
  'header: 32 numbers': () => ({ header: `,${Array.from({ length: 29 }, (_, i) => `"h${i}":${'9'.repeat(15)}`).join(',')}` }),
} as const satisfies Record<string, (fill: number) => string | { header: string }>;

export type HostileShape = keyof typeof HOSTILE_SHAPES;

/**
 * `count` distinct hostile tokens of one shape, each at most `maxLength` characters. Their
 * signatures are real ones of other tokens (`signatures`, from the key's own pool): well-formed in
 * every way a verifier looks at before giving up (an Ed25519 S below the group order, an R on the
 * curve), so each costs the full signature check. Random bytes would let some be refused cheaply.
 */
export function hostilePool(keys: TestKeys, shape: HostileShape, count: number, signatures: readonly string[], maxLength = MAX_TOKEN_LENGTH): string[] {
  const algorithm = keys.algorithm as BenchAlgorithm;
  const signatureChars = Math.ceil((SIGNATURE_BYTES[algorithm] * 4) / 3);
  const now = Math.floor(Date.now() / 1000);
  const claims = JSON.stringify({ iss: ISSUER, sub: 'user-1', aud: AUDIENCE, iat: now, exp: now + 3600 });
  return Array.from({ length: count }, (_, index) => {
    const headerStart = `{"alg":"${algorithm}","typ":"JWT","kid":"hostile-${index}"`;
    const signature = signatures[index % signatures.length]!;
    // Characters of JSON left for the shape: base64url makes 4 of every 3 bytes.
    const room = Math.floor(((maxLength - signatureChars - 2) * 3) / 4) - headerStart.length - 64;
    const made = HOSTILE_SHAPES[shape](room);
    const [headerText, payloadText] = typeof made === 'string' ? [`${headerStart}}`, made] : [`${headerStart}${made.header}}`, claims];
    let token = `${b64text(headerText)}.${b64text(payloadText)}.${signature}`;
    // Trim the payload if rounding left it over the limit (a shape's text stays what it is otherwise).
    while (token.length > maxLength) token = `${b64text(headerText)}.${b64text(payloadText.slice(0, payloadText.length - (token.length - maxLength)))}.${signature}`;
    return token;
  });
}

const b64text = (text: string) => Buffer.from(text).toString('base64url');

/**
 * `count` distinct valid tokens about `length` characters long (a `pad` claim fills them): what a
 * hostile token of that length is compared with, since reading and hashing cost per character.
 */
export async function mintLongPool(keys: TestKeys, count: number, length = MAX_TOKEN_LENGTH - 64): Promise<string[]> {
  const header = b64({ alg: keys.algorithm, typ: 'JWT', kid: keys.kid });
  const signWith = signer(keys);
  const now = Math.floor(Date.now() / 1000);
  const signatureChars = Math.ceil((SIGNATURE_BYTES[keys.algorithm as BenchAlgorithm] * 4) / 3);
  return mapLimit(Array.from({ length: count }), 64, async () => {
    const claims = { iss: ISSUER, sub: 'user-1', aud: AUDIENCE, iat: now, exp: now + 3600, jti: randomUUID() };
    const base = JSON.stringify({ ...claims, pad: '' }).length;
    const padding = Math.floor(((length - header.length - signatureChars - 2) * 3) / 4) - base;
    const payload = b64({ ...claims, pad: 'p'.repeat(Math.max(0, padding)) });
    const input = `${header}.${payload}`;
    const signature = await signWith(Buffer.from(input, 'latin1'));
    return `${input}.${signature.toString('base64url')}`;
  });
}
