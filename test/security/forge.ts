/**
 * Token forging for the attack suite and the fuzzer: JWS built by hand from raw header and payload
 * JSON text (so duplicate names, `1e400` and other oddities survive), signed with node:crypto.
 */
import { createHmac, createPublicKey, sign, type KeyObject } from 'node:crypto';

export const b64url = (value: string | Uint8Array): string => Buffer.from(value).toString('base64url');
export const json = (value: unknown): string => JSON.stringify(value);

/** Signs `input` (the ASCII `header.payload`) and returns the raw signature bytes. */
export type Signer = (input: Buffer) => Buffer;

const HASHES = { 256: 'sha256', 384: 'sha384', 512: 'sha512' } as const;

export const signers = {
  hmac: (secret: string | Uint8Array, bits: 256 | 384 | 512 = 256): Signer => (input) => createHmac(HASHES[bits], secret).update(input).digest(),
  rsa: (key: KeyObject, bits: 256 | 384 | 512 = 256): Signer => (input) => sign(HASHES[bits], input, key),
  pss: (key: KeyObject, bits: 256 | 384 | 512 = 256): Signer => (input) =>
    sign(HASHES[bits], input, { key, padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: bits / 8 }),
  ecdsa: (key: KeyObject, bits: 256 | 384 | 512 = 256, dsaEncoding: 'ieee-p1363' | 'der' = 'ieee-p1363'): Signer => (input) =>
    sign(HASHES[bits], input, { key, dsaEncoding }),
  eddsa: (key: KeyObject): Signer => (input) => sign(null, input, key),
  none: (): Signer => () => Buffer.alloc(0),
  raw: (bytes: Uint8Array): Signer => () => Buffer.from(bytes),
};

/**
 * A compact JWS from header and payload given as objects (serialized with JSON.stringify) or as raw
 * JSON text (sent byte for byte).
 */
export function forge(header: object | string, payload: object | string, signer: Signer): string {
  const input = `${b64url(typeof header === 'string' ? header : json(header))}.${b64url(typeof payload === 'string' ? payload : json(payload))}`;
  return `${input}.${b64url(signer(Buffer.from(input, 'latin1')))}`;
}

/** The three segments of a compact JWS. */
export function segments(token: string): [string, string, string] {
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error('not a compact JWS');
  return parts as [string, string, string];
}

/** A token's header or payload, decoded. */
export function decodeSegment(segment: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** The public key forms an attacker can find: PEM, DER (SPKI), JWK JSON. */
export function publicKeyForms(key: KeyObject): { pem: string; der: Buffer; jwkJson: string; pkcs1Pem: string | undefined } {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return {
    pem: pub.export({ type: 'spki', format: 'pem' }).toString(),
    der: pub.export({ type: 'spki', format: 'der' }),
    jwkJson: JSON.stringify(pub.export({ format: 'jwk' })),
    pkcs1Pem: pub.asymmetricKeyType === 'rsa' ? pub.export({ type: 'pkcs1', format: 'pem' }).toString() : undefined,
  };
}

/** P-256, P-384, P-521 group orders, for the ECDSA r/s edge cases (CVE-2022-21449). */
export const CURVE_ORDERS = {
  256: 'ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551',
  384: 'ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973',
  512: '01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409',
} as const;

/** Byte length of R and S for each ES algorithm. */
export const ECDSA_SIZES = { 256: 32, 384: 48, 512: 66 } as const;

/** An R||S signature from two big-endian hex numbers, each padded to the curve size. */
export function rawEcdsaSignature(bits: 256 | 384 | 512, r: string, s: string): Buffer {
  const size = ECDSA_SIZES[bits];
  const pad = (hex: string) => Buffer.from(hex.padStart(size * 2, '0'), 'hex');
  return Buffer.concat([pad(r), pad(s)]);
}
