import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 128 bits: the family's lookup key in the store (not a secret on its own). */
const FAMILY_ID_BYTES = 16;
/** 256 bits (RFC 9700 §4.14 asks for unguessable refresh tokens; the issue asks for ≥ 256). */
const SECRET_BYTES = 32;
const FAMILY_ID = /^[A-Za-z0-9_-]{22}$/;
const SECRET = /^[A-Za-z0-9_-]{43}$/;

/** A refresh token is `<familyId>.<secret>`, both base64url; only SHA-256(secret) is ever stored. */
export interface ParsedRefreshToken {
  familyId: string;
  secret: string;
}

export function newFamilyId(): string {
  return randomBytes(FAMILY_ID_BYTES).toString('base64url');
}

/** A random id (jti, sid): 128 bits, base64url. */
export function randomId(): string {
  return randomBytes(16).toString('base64url');
}

/** A fresh token of the family and the hash the store keeps for it. */
export function newRefreshToken(familyId: string): { token: string; hash: string } {
  const secret = randomBytes(SECRET_BYTES).toString('base64url');
  return { token: `${familyId}.${secret}`, hash: hashSecret(secret) };
}

/** Undefined for anything that is not exactly the shape we issue (no store lookup for junk). */
export function parseRefreshToken(token: unknown): ParsedRefreshToken | undefined {
  if (typeof token !== 'string') return undefined;
  const dot = token.indexOf('.');
  const familyId = token.slice(0, dot);
  const secret = token.slice(dot + 1);
  if (dot === -1 || !FAMILY_ID.test(familyId) || !SECRET.test(secret)) return undefined;
  return { familyId, secret };
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

/** Whether `hash` is one of `hashes`, compared in constant time, every entry looked at. */
export function includesHash(hashes: readonly string[], hash: string): boolean {
  const wanted = Buffer.from(hash, 'base64url');
  let found = false;
  for (const candidate of hashes) {
    const bytes = Buffer.from(candidate, 'base64url');
    if (bytes.length === wanted.length && timingSafeEqual(bytes, wanted)) found = true;
  }
  return found;
}
