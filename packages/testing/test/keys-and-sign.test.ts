import { createPublicKey } from 'node:crypto';
import { createVerifier } from '@jwt-guard/core';
import { generateTestKeys, mintToken, TEST_ALGORITHMS, type TestAlgorithm, type TestKeys } from '@jwt-guard/testing';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';

const issuer = 'https://issuer.jwt-guard.test/';
const audience = 'https://api.jwt-guard.test';

describe('generateTestKeys', () => {
  it.each([
    ['HS256', 32],
    ['HS384', 48],
    ['HS512', 64],
  ] as const)('%s: a random %i-byte secret and its oct JWK', async (algorithm, bytes) => {
    const keys = await generateTestKeys(algorithm, { kid: 'hs' });
    expect(keys.secret).toBeInstanceOf(Uint8Array);
    expect(keys.secret!.byteLength).toBe(bytes);
    expect(keys.privateKey).toBeUndefined();
    expect(keys.publicKey).toBeUndefined();
    expect(keys.publicKeyPem).toBeUndefined();
    expect(keys.jwk).toEqual({ kty: 'oct', k: Buffer.from(keys.secret!).toString('base64url'), kid: 'hs', alg: algorithm });
    const again = await generateTestKeys(algorithm);
    expect(Buffer.from(again.secret!).equals(Buffer.from(keys.secret!))).toBe(false);
    expect(again.kid).not.toBe(keys.kid);
  });

  it.each([
    ['RS256', 'RSA', undefined],
    ['PS512', 'RSA', undefined],
    ['ES256', 'EC', 'P-256'],
    ['ES384', 'EC', 'P-384'],
    ['ES512', 'EC', 'P-521'],
    ['EdDSA', 'OKP', 'Ed25519'],
  ] as const)('%s: a %s key pair, its public JWK and PEM', async (algorithm, kty, crv) => {
    const keys = await generateTestKeys(algorithm);
    expect(keys.secret).toBeUndefined();
    expect(keys.privateKey?.type).toBe('private');
    expect(keys.publicKey?.type).toBe('public');
    expect(keys.jwk).toMatchObject({ kty, kid: keys.kid, alg: algorithm, use: 'sig' });
    if (crv !== undefined) expect(keys.jwk.crv).toBe(crv);
    for (const privateMember of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(keys.jwk).not.toHaveProperty(privateMember);
    expect(keys.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(createPublicKey(keys.publicKeyPem!).equals(keys.publicKey!)).toBe(true);
  });

  it('RSA keys are 2048 bits unless modulusLength says otherwise', async () => {
    expect((await generateTestKeys('RS256')).publicKey!.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect((await generateTestKeys('PS256', { modulusLength: 3072 })).publicKey!.asymmetricKeyDetails?.modulusLength).toBe(3072);
    await expect(generateTestKeys('RS256', { modulusLength: 1024 })).rejects.toThrow(RangeError);
    await expect(generateTestKeys('ES256', { modulusLength: 2048 })).rejects.toThrow(TypeError);
  });

  it('refuses an unknown algorithm', async () => {
    await expect(generateTestKeys('none' as TestAlgorithm)).rejects.toThrow(TypeError);
  });
});

describe('mintToken', () => {
  const keysByAlgorithm = new Map<TestAlgorithm, TestKeys>();

  beforeAll(async () => {
    const all = await Promise.all(TEST_ALGORITHMS.map((algorithm) => generateTestKeys(algorithm)));
    for (const keys of all) keysByAlgorithm.set(keys.algorithm, keys);
  });

  const keysFor = (algorithm: TestAlgorithm): TestKeys => keysByAlgorithm.get(algorithm)!;

  it.each(TEST_ALGORITHMS)('%s: signs a token the core verifies with the JWK set', async (algorithm) => {
    const keys = keysFor(algorithm);
    const token = await mintToken(keys, { sub: 'user-9' }, { issuer, audience });
    expect(decodeProtectedHeader(token)).toEqual({ alg: algorithm, typ: 'JWT', kid: keys.kid });
    const verifier = createVerifier({ jwks: { keys: [keys.jwk] }, issuer, audience });
    await expect(verifier.verify(token)).resolves.toMatchObject({ payload: { sub: 'user-9' } });
  });

  it('defaults: iat now, exp +5m, a random jti, no iss/aud/sub/nbf', async () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const payload = decodeJwt(await mintToken(keysFor('HS256'), {}, { now }));
    expect(Object.keys(payload).sort()).toEqual(['exp', 'iat', 'jti']);
    expect(payload.iat).toBe(1_893_456_000);
    expect(payload.exp).toBe(1_893_456_000 + 300);
    const other = decodeJwt(await mintToken(keysFor('HS256'), {}, { now }));
    expect(other.jti).not.toBe(payload.jti);
  });

  it('all the options', async () => {
    const now = new Date('2030-01-01T00:00:00.900Z');
    const token = await mintToken(keysFor('ES256'), { tenant: 't1' }, {
      issuer,
      audience: ['a', 'b'],
      subject: 's',
      expiresIn: '2h',
      issuedAt: 1_893_455_000,
      notBefore: '-1m',
      jti: 'id-1',
      scope: ['x', 'y'],
      now,
    });
    expect(decodeJwt(token)).toEqual({
      iss: issuer,
      aud: ['a', 'b'],
      sub: 's',
      exp: 1_893_456_000 + 7200,
      iat: 1_893_455_000,
      nbf: 1_893_456_000 - 60,
      jti: 'id-1',
      scope: 'x y',
      tenant: 't1',
    });
  });

  it.each([
    [60, 60],
    [-30, -30],
    ['30s', 30],
    ['5m', 300],
    ['2 hours', 7200],
    ['1d', 86_400],
    ['-10m', -600],
    ['10 minutes ago', -600],
    ['90', 90],
  ] as const)('expiresIn %j is %i seconds from now', async (expiresIn, seconds) => {
    const now = new Date('2030-01-01T00:00:00Z');
    expect(decodeJwt(await mintToken(keysFor('HS256'), {}, { now, expiresIn })).exp).toBe(1_893_456_000 + seconds);
  });

  it('refuses a malformed time span', async () => {
    await expect(mintToken(keysFor('HS256'), {}, { expiresIn: 'soon' })).rejects.toThrow(TypeError);
    await expect(mintToken(keysFor('HS256'), {}, { notBefore: '-5m ago' })).rejects.toThrow(TypeError);
  });

  it('null leaves a claim out', async () => {
    const payload = decodeJwt(await mintToken(keysFor('HS256'), {}, { expiresIn: null, issuedAt: null, jti: null }));
    expect(payload).toEqual({});
  });

  it('claims win over the options; an undefined claim is left out', async () => {
    const payload = decodeJwt(await mintToken(keysFor('HS256'), { iss: 'mine', exp: 5, jti: undefined }, { issuer }));
    expect(payload.iss).toBe('mine');
    expect(payload.exp).toBe(5);
    expect(payload).not.toHaveProperty('jti');
  });

  it('header overrides: extra members, typ, and null removes kid', async () => {
    const keys = keysFor('RS256');
    expect(decodeProtectedHeader(await mintToken(keys, {}, { header: { typ: 'at+jwt', x5t: 'abc' } }))).toEqual({
      alg: 'RS256',
      typ: 'at+jwt',
      kid: keys.kid,
      x5t: 'abc',
    });
    expect(decodeProtectedHeader(await mintToken(keys, {}, { header: { kid: null, typ: null } }))).toEqual({ alg: 'RS256' });
    const other = decodeProtectedHeader(await mintToken(keys, {}, { header: { kid: 'other' } }));
    expect(other.kid).toBe('other');
  });

  it('a token without kid still verifies against a JWK set', async () => {
    const keys = keysFor('EdDSA');
    const token = await mintToken(keys, {}, { issuer, audience, header: { kid: null } });
    await expect(createVerifier({ jwks: { keys: [keys.jwk] }, issuer, audience }).verify(token)).resolves.toBeDefined();
  });

  it('can mint deliberately broken tokens for the verifier to refuse', async () => {
    const keys = keysFor('ES256');
    const verifier = createVerifier({ jwks: { keys: [keys.jwk] }, issuer, audience });
    await expect(verifier.verify(await mintToken(keys, {}, { issuer, audience, expiresIn: null }))).rejects.toMatchObject({
      code: 'claim_missing',
    });
    await expect(verifier.verify(await mintToken(keys, {}, { issuer, audience, expiresIn: -1 }))).rejects.toMatchObject({
      code: 'token_expired',
    });
    await expect(verifier.verify(await mintToken(keys, {}, { issuer, audience, notBefore: '1h' }))).rejects.toMatchObject({
      code: 'token_not_yet_valid',
    });
    await expect(verifier.verify(await mintToken(keys, {}, { issuer, audience, header: { kid: 'unknown' } }))).rejects.toMatchObject({
      code: 'key_not_found',
    });
  });

  it('needs signing material', async () => {
    const { secret: _secret, ...publicOnly } = keysFor('HS256');
    await expect(mintToken(publicOnly, {})).rejects.toThrow(TypeError);
    const { privateKey: _privateKey, ...noPrivate } = keysFor('ES256');
    await expect(mintToken(noPrivate, {})).rejects.toThrow(TypeError);
  });
});
