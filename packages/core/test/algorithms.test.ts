import { createHmac } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, type Algorithm, type VerifierOptions } from '@jwt-guard/core';
import {
  b64url,
  CLAIM_OPTIONS,
  ecPair,
  ed25519Pair,
  rawToken,
  rejection,
  rsaPair,
  SECRET_32,
  SECRET_64,
  sign,
  validClaims,
  type RsaPair,
} from './helpers.js';

let rsa: RsaPair;
let p256: ReturnType<typeof ecPair>;
let p384: ReturnType<typeof ecPair>;
let p521: ReturnType<typeof ecPair>;
let ed: ReturnType<typeof ed25519Pair>;

beforeAll(() => {
  rsa = rsaPair();
  p256 = ecPair('P-256');
  p384 = ecPair('P-384');
  p521 = ecPair('P-521');
  ed = ed25519Pair();
});

const verifier = (options: Partial<VerifierOptions>) => createVerifier({ ...CLAIM_OPTIONS, ...options });

describe('algorithm inference', () => {
  it('infers HS256 for a secret', () => {
    expect(verifier({ secret: SECRET_32 }).algorithms).toEqual(['HS256']);
    expect(verifier({ secret: [{ kid: 'a', secret: SECRET_32 }, { kid: 'b', secret: SECRET_64 }] }).algorithms).toEqual(['HS256']);
  });

  it('infers ES256, ES384, ES512 from the curve', () => {
    expect(verifier({ publicKey: p256.publicKey }).algorithms).toEqual(['ES256']);
    expect(verifier({ publicKey: p384.publicJwk }).algorithms).toEqual(['ES384']);
    expect(verifier({ publicKey: p521.publicKey }).algorithms).toEqual(['ES512']);
  });

  it('infers EdDSA for an Ed25519 key', () => {
    expect(verifier({ publicKey: ed.publicKey }).algorithms).toEqual(['EdDSA']);
    expect(verifier({ publicKey: ed.publicJwk }).algorithms).toEqual(['EdDSA']);
  });

  it('infers RS256 for an RSA key without JWK alg', () => {
    expect(verifier({ publicKey: rsa.publicPem }).algorithms).toEqual(['RS256']);
    expect(verifier({ jwks: { keys: [rsa.publicJwk] } }).algorithms).toEqual(['RS256']);
  });

  it('honours the JWK alg', () => {
    expect(verifier({ publicKey: { ...rsa.publicJwk, alg: 'PS384' } }).algorithms).toEqual(['PS384']);
    expect(
      verifier({ jwks: { keys: [{ ...rsa.publicJwk, alg: 'RS512', kid: 'r' }, { ...p256.publicJwk, kid: 'e' }, { ...ed.publicJwk, kid: 'o' }] } })
        .algorithms,
    ).toEqual(['RS512', 'ES256', 'EdDSA']);
  });

  it('lists each inferred algorithm once', () => {
    expect(verifier({ publicKey: [rsa.publicKey, rsaPair().publicKey, p256.publicKey] }).algorithms).toEqual(['RS256', 'ES256']);
  });

  it('allows every asymmetric algorithm, and no HMAC, for a jwksUri without algorithms', () => {
    const { algorithms } = verifier({ jwksUri: 'https://idp.example/jwks' });
    expect(algorithms).toEqual(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']);
  });

  it('keeps an explicit list (deduplicated) and freezes it', () => {
    const { algorithms } = verifier({ publicKey: rsa.publicKey, algorithms: ['PS256', 'RS256', 'PS256'] });
    expect(algorithms).toEqual(['PS256', 'RS256']);
    expect(Object.isFrozen(algorithms)).toBe(true);
    expect(verifier({ getKey: () => undefined, algorithms: ['ES384'] }).algorithms).toEqual(['ES384']);
  });

  it('lets an RSA key without JWK alg serve every listed RSA algorithm, but only RS256 when inferred', async () => {
    const explicit = verifier({ publicKey: rsa.publicKey, algorithms: ['RS256', 'PS256', 'RS512'] });
    for (const alg of ['RS256', 'PS256', 'RS512']) {
      await expect(explicit.verify(await sign(rsa.privateKey, alg))).resolves.toMatchObject({ header: { alg } });
    }
    const inferred = verifier({ publicKey: rsa.publicKey });
    await rejection(inferred.verify(await sign(rsa.privateKey, 'PS256')), 'algorithm_not_allowed');
  });
});

describe('valid tokens for each algorithm', () => {
  const cases: Array<[Algorithm, () => { verify: Partial<VerifierOptions>; sign: KeyObject | string }]> = [
    ['HS256', () => ({ verify: { secret: SECRET_32 }, sign: SECRET_32 })],
    ['HS384', () => ({ verify: { secret: SECRET_64, algorithms: ['HS384'] }, sign: SECRET_64 })],
    ['HS512', () => ({ verify: { secret: SECRET_64, algorithms: ['HS512'] }, sign: SECRET_64 })],
    ['RS256', () => ({ verify: { publicKey: rsa.publicPem }, sign: rsa.privateKey })],
    ['RS384', () => ({ verify: { publicKey: rsa.publicPem, algorithms: ['RS384'] }, sign: rsa.privateKey })],
    ['PS256', () => ({ verify: { publicKey: rsa.publicPem, algorithms: ['PS256'] }, sign: rsa.privateKey })],
    ['PS512', () => ({ verify: { publicKey: { ...rsa.publicJwk, alg: 'PS512' } }, sign: rsa.privateKey })],
    ['ES256', () => ({ verify: { publicKey: p256.publicKey }, sign: p256.privateKey })],
    ['ES384', () => ({ verify: { publicKey: p384.publicKey }, sign: p384.privateKey })],
    ['ES512', () => ({ verify: { publicKey: p521.publicKey }, sign: p521.privateKey })],
    ['EdDSA', () => ({ verify: { publicKey: ed.publicKey }, sign: ed.privateKey })],
    ['Ed25519', () => ({ verify: { publicKey: ed.publicKey, algorithms: ['Ed25519'] }, sign: ed.privateKey })],
  ];

  it.each(cases)('verifies %s', async (alg, setup) => {
    const { verify, sign: key } = setup();
    const v = verifier(verify);
    expect(v.algorithms).toContain(alg);
    const auth = await v.verify(await sign(key, alg, validClaims({ sub: `sub-${alg}` })));
    expect(auth.header.alg).toBe(alg);
    expect(auth.payload.sub).toBe(`sub-${alg}`);
  });
});

describe('alg "none" and the allowlist', () => {
  it.each(['none', 'None', 'NONE', 'nOnE'])('refuses an unsigned token with alg %s', async (alg) => {
    const v = verifier({ secret: SECRET_32 });
    for (const signature of ['', 'c2lnbmF0dXJl']) {
      const error = await rejection(v.verify(rawToken({ alg, typ: 'JWT' }, validClaims(), signature)), 'algorithm_not_allowed', 401);
      expect(error.message).toBe('The access token is signed with an algorithm that is not allowed.');
      expect(error.hint).toBe(`header alg "${alg}"; allowed: HS256`);
    }
  });

  it('refuses alg none whatever the key source', async () => {
    const unsigned = rawToken({ alg: 'none' }, validClaims(), '');
    await rejection(verifier({ publicKey: rsa.publicKey }).verify(unsigned), 'algorithm_not_allowed');
    await rejection(verifier({ jwksUri: 'https://idp.invalid/jwks' }).verify(unsigned), 'algorithm_not_allowed');
    await rejection(verifier({ getKey: () => rsa.publicKey, algorithms: ['RS256'] }).verify(unsigned), 'algorithm_not_allowed');
  });

  it('refuses an HS256 token HMAC-signed with the RSA public key PEM (key confusion)', async () => {
    const header = b64url({ alg: 'HS256', typ: 'JWT' });
    const payload = b64url(validClaims());
    for (const secret of [rsa.publicPem, Buffer.from(rsa.publicKey.export({ type: 'spki', format: 'der' }))]) {
      const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
      const forged = `${header}.${payload}.${signature}`;
      for (const options of [
        { publicKey: rsa.publicPem },
        { jwks: { keys: [rsa.publicJwk] } },
        { publicKey: rsa.publicKey, algorithms: ['RS256', 'PS256'] as Algorithm[] },
        { jwksUri: 'https://idp.invalid/jwks' },
        { getKey: () => rsa.publicPem, algorithms: ['RS256'] as Algorithm[] },
      ]) {
        const error = await rejection(verifier(options).verify(forged), 'algorithm_not_allowed', 401);
        expect(error.hint).toMatch(/^header alg "HS256"; allowed: /);
      }
    }
  });

  it('refuses an algorithm that is not on the allowlist, naming the allowed ones in the hint', async () => {
    const v = verifier({ publicKey: rsa.publicKey, algorithms: ['RS256', 'PS256'] });
    const error = await rejection(v.verify(await sign(rsa.privateKey, 'RS512')), 'algorithm_not_allowed', 401);
    expect(error.hint).toBe('header alg "RS512"; allowed: RS256, PS256');
    await rejection(verifier({ secret: SECRET_64, algorithms: ['HS512'] }).verify(await sign(SECRET_64, 'HS256')), 'algorithm_not_allowed');
    await rejection(verifier({ publicKey: p384.publicKey }).verify(await sign(p256.privateKey, 'ES256')), 'algorithm_not_allowed');
  });

  it('refuses algorithms jwt-guard does not know', async () => {
    const v = verifier({ secret: SECRET_32 });
    for (const alg of ['HS1', 'RSA-OAEP', 'dir', '', 'hs256']) {
      await rejection(v.verify(rawToken({ alg }, validClaims())), 'algorithm_not_allowed');
    }
  });

  it('keeps the hint short and header-safe for a hostile alg', async () => {
    const v = verifier({ secret: SECRET_32 });
    const alg = `"\r\n${'A'.repeat(100)}\\`;
    const error = await rejection(v.verify(rawToken({ alg }, validClaims())), 'algorithm_not_allowed');
    expect(error.hint).toBe(`header alg "${'A'.repeat(32)}"; allowed: HS256`);
  });

  it('refuses a header without alg, or with a non-string alg, as malformed', async () => {
    const v = verifier({ secret: SECRET_32 });
    const missing = await rejection(v.verify(rawToken({ typ: 'JWT' }, validClaims())), 'token_malformed', 401);
    expect(missing.hint).toBe('the header has no "alg"');
    await rejection(v.verify(rawToken({ alg: 256 }, validClaims())), 'token_malformed');
    await rejection(v.verify(rawToken({ alg: ['HS256'] }, validClaims())), 'token_malformed');
  });
});
