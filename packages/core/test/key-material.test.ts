/**
 * Public-key material is never an HMAC secret (issue 12, rule 3). `secret: publicKeyPem` — the habit
 * of express-jwt — would make HS256 tokens HMAC'd with the public key verify: the classic key
 * confusion. Every form such material comes in is refused at start-up, saying to use `publicKey`;
 * a `getKey` result of that kind answers 503, never a verified token. Random secrets, and their
 * base64, base64url and hex text, are never mistaken for key material.
 */
import { createHmac, generateKeyPairSync, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createVerifier } from '@jwt-guard/core';
import { b64url, CLAIM_OPTIONS, configError, rejection, rsaPair, SECRET_32, validClaims } from './helpers.js';

const rsa = rsaPair();
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ed = generateKeyPairSync('ed25519');
const certPem = readFileSync(new URL('../../../test/security/fixtures/attacker-cert.pem', import.meta.url), 'utf8');
const cert = new X509Certificate(certPem);

const spkiPem = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString();
const spkiDer = (key: KeyObject) => new Uint8Array(key.export({ type: 'spki', format: 'der' }));
const pkcs1Pem = rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }).toString();
const base64Body = spkiPem(rsa.publicKey).replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');

/** Every form in which public-key material gets pasted where a secret belongs. */
const KEY_MATERIAL: Array<[string, string | Uint8Array]> = [
  ['an RSA SPKI PEM (the express-jwt habit)', rsa.publicPem],
  ['an RSA PKCS#1 PEM', pkcs1Pem],
  ['a certificate PEM', certPem],
  ['a PEM with leading whitespace and a trailing line break', `\n   ${rsa.publicPem}\n`],
  ['a PEM with CRLF line breaks', rsa.publicPem.replace(/\n/g, '\r\n')],
  ['a PEM read from an env file with literal \\n escapes', rsa.publicPem.replace(/\n/g, '\\n')],
  ['a PEM Buffer', Buffer.from(rsa.publicPem)],
  ['a PEM Uint8Array', new TextEncoder().encode(rsa.publicPem)],
  ['an EC P-256 PEM', spkiPem(ec.publicKey)],
  ['an Ed25519 PEM', spkiPem(ed.publicKey)],
  ['an RSA private key PEM', rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()],
  ['RSA JWK JSON text', JSON.stringify(rsa.publicJwk)],
  ['EC JWK JSON text, pretty-printed', JSON.stringify(ec.publicKey.export({ format: 'jwk' }), null, 2)],
  ['JWK Set JSON text', JSON.stringify({ keys: [rsa.publicJwk] })],
  ['RSA SPKI DER bytes', spkiDer(rsa.publicKey)],
  ['RSA PKCS#1 DER bytes', new Uint8Array(rsa.publicKey.export({ type: 'pkcs1', format: 'der' }))],
  ['EC SPKI DER bytes', spkiDer(ec.publicKey)],
  ['Ed25519 SPKI DER bytes', spkiDer(ed.publicKey)],
  ['certificate DER bytes', new Uint8Array(cert.raw)],
  ['the base64 body of a PEM without armour (an IdP console "public key" field)', base64Body],
  ['base64url text of SPKI DER', Buffer.from(spkiDer(ec.publicKey)).toString('base64url')],
  ['hex text of SPKI DER', Buffer.from(spkiDer(rsa.publicKey)).toString('hex')],
  ['an OpenSSH public key', `ssh-ed25519 ${Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, 32]), randomBytes(32)]).toString('base64')} me@laptop`],
];

/** The body of every form above, for checking that messages never quote the key. */
const QUOTED_PARTS = [base64Body.slice(20, 60), rsa.publicJwk.n!.slice(10, 50)];

describe('public-key material given as an HMAC secret is refused at start-up', () => {
  it.each(KEY_MATERIAL)('secret: %s', (_label, material) => {
    const error = configError(() => createVerifier({ secret: material, ...CLAIM_OPTIONS }));
    expect(error.message).toMatch(/`secret` is .+, not an HMAC secret: .*key confusion.*Pass the key as `publicKey`/);
    for (const part of QUOTED_PARTS) expect(error.message).not.toContain(part);
  });

  it.each(KEY_MATERIAL)('in a rotation array: %s', (_label, material) => {
    const error = configError(() => createVerifier({ secret: [{ kid: 'current', secret: SECRET_32 }, { kid: 'old', secret: material }], ...CLAIM_OPTIONS }));
    expect(error.message).toMatch(/secret\[1\] is .+, not an HMAC secret/);
  });

  it.each(KEY_MATERIAL)('as the bytes of an oct key in jwks: %s', (_label, material) => {
    const k = Buffer.from(typeof material === 'string' ? Buffer.from(material) : material).toString('base64url');
    const error = configError(() => createVerifier({ jwks: { keys: [{ kty: 'oct', kid: 'h', k, alg: 'HS256' }] }, ...CLAIM_OPTIONS }));
    expect(error.message).toMatch(/`jwks`\.keys\[0\] is .+, not an HMAC secret/);
  });

  it('names the kind of material it found', () => {
    const kind = (material: string | Uint8Array) => configError(() => createVerifier({ secret: material, ...CLAIM_OPTIONS })).message;
    expect(kind(rsa.publicPem)).toContain('is a PEM public key (RSA)');
    expect(kind(certPem)).toContain('is a PEM certificate (RSA)');
    expect(kind(spkiPem(ed.publicKey))).toContain('is a PEM public key (ED25519)');
    expect(kind(JSON.stringify(rsa.publicJwk))).toContain('is the JSON text of a JWK (kty "RSA")');
    expect(kind(spkiDer(ec.publicKey))).toContain('is SPKI DER of a public key (EC)');
    expect(kind(base64Body)).toContain('is base64 text of SPKI DER of a public key (RSA)');
  });

  it('a KeyObject or a JWK object passed as secret (from JavaScript) says to use publicKey', () => {
    for (const key of [rsa.publicKey, rsa.publicJwk]) {
      expect(configError(() => createVerifier({ secret: key as never, ...CLAIM_OPTIONS })).message).toMatch(
        /is a key object or a JWK, not an HMAC secret.*Pass the key as `publicKey`/,
      );
    }
  });
});

describe('genuine secrets are never mistaken for key material', () => {
  it('2000 random secrets as bytes, base64, base64url and hex text, many shaped like the start of DER, all verify', async () => {
    const forms: Array<string | Uint8Array> = [];
    for (let i = 0; i < 250; i += 1) {
      const bytes = randomBytes(64);
      // Half of them open like a DER SEQUENCE (0x30 0x82 …): the parser, not the first bytes, decides.
      if (i % 2 === 0) bytes.set([0x30, 0x82, 0x01, 0x22, 0x30, 0x0d, 0x06, 0x09], 0);
      forms.push(bytes, bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('hex'));
      forms.push(bytes.subarray(0, 32), bytes.subarray(0, 32).toString('base64'), bytes.subarray(0, 32).toString('base64url'), bytes.subarray(0, 32).toString('hex'));
    }
    for (const secret of forms) {
      const verifier = createVerifier({ secret, algorithms: ['HS256'], ...CLAIM_OPTIONS });
      expect(verifier.algorithms).toEqual(['HS256']);
    }
    // And such a secret still verifies its tokens.
    const secret = randomBytes(32).toString('base64url');
    const signingInput = `${b64url({ alg: 'HS256' })}.${b64url(validClaims())}`;
    const token = `${signingInput}.${createHmac('sha256', secret).update(signingInput).digest('base64url')}`;
    await expect(createVerifier({ secret, ...CLAIM_OPTIONS }).verify(token)).resolves.toBeDefined();
  });

  it('passphrases and texts that merely mention keys are secrets like any other', () => {
    for (const secret of [
      'correct horse battery staple: a passphrase 2024!',
      'MIIBIjANBgkqhkiG9w0BAQEFAAOC is how my public key starts, but this is a secret',
      '{"note":"a JSON secret without kty","n":42,"entropy":"q7Lm2xV9pR4tW8zK1cN6bH3jF5gD0sYa"}',
      '-----BEGIN and then nothing like a PEM, 1234567890abcdefghijk',
      'ssh-rsa-but-not-really-a-key q7Lm2xV9pR4tW8zK1cN6bH3jF5gD0sYa',
    ]) {
      expect(() => createVerifier({ secret, ...CLAIM_OPTIONS })).not.toThrow();
    }
  });
});

describe('getKey returning public-key material for an HS* token: 503, never a verified token', () => {
  /** An HS256 token HMAC'd with `key`: what an attacker holding the public key sends. */
  const hmacForged = (key: string | Uint8Array) => {
    const signingInput = `${b64url({ alg: 'HS256', kid: 'k1' })}.${b64url(validClaims())}`;
    return `${signingInput}.${createHmac('sha256', key).update(signingInput).digest('base64url')}`;
  };

  it.each(KEY_MATERIAL)('getKey returns %s', async (_label, material) => {
    const verifier = createVerifier({ getKey: () => material, algorithms: ['HS256'], ...CLAIM_OPTIONS });
    const forged = hmacForged(typeof material === 'string' ? material : Buffer.from(material));
    const error = await rejection(verifier.verify(forged), 'key_source_unavailable', 503);
    expect(error.hint).toMatch(/^getKey\(\) returned a key jwt-guard refuses: .*not an HMAC secret.*`publicKey`/);
    for (const part of QUOTED_PARTS) expect(error.hint).not.toContain(part);
  });

  it('getKey returns a public KeyObject or JWK for an HS256 token: 503 with a hint, not key_not_found', async () => {
    for (const key of [rsa.publicKey, rsa.publicJwk]) {
      const verifier = createVerifier({ getKey: () => key, algorithms: ['HS256'], ...CLAIM_OPTIONS });
      const error = await rejection(verifier.verify(hmacForged(rsa.publicPem)), 'key_source_unavailable', 503);
      expect(error.hint).toContain('getKey() returned a public key for an HS256 token');
    }
  });
});
