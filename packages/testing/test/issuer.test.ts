import { createVerifier, type ErrorCode } from '@jwt-guard/core';
import {
  createTestIssuer,
  DEFAULT_TEST_AUDIENCE,
  DEFAULT_TEST_ISSUER,
  TEST_ALGORITHMS,
  type TestAlgorithm,
  type TestIssuer,
  type TestKeySource,
} from '@jwt-guard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const HMAC: readonly TestAlgorithm[] = ['HS256', 'HS384', 'HS512'];
const sourcesFor = (algorithm: TestAlgorithm): TestKeySource[] =>
  HMAC.includes(algorithm) ? ['secret', 'jwks'] : ['jwks', 'publicKey', 'jwksUri'];

const issuers = new Map<TestAlgorithm, TestIssuer>();

beforeAll(async () => {
  // One issuer per algorithm, made in parallel (RSA key generation is the slow part).
  const made = await Promise.all(TEST_ALGORITHMS.map((algorithm) => createTestIssuer({ algorithm })));
  for (const issuer of made) issuers.set(issuer.algorithm, issuer);
});

afterAll(async () => {
  await Promise.all([...issuers.values()].map((issuer) => issuer.close()));
});

function issuerFor(algorithm: TestAlgorithm): TestIssuer {
  const issuer = issuers.get(algorithm);
  if (issuer === undefined) throw new Error(`no issuer for ${algorithm}`);
  return issuer;
}

async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  await expect(promise).rejects.toMatchObject({ name: 'JwtGuardError', code });
}

describe.each(TEST_ALGORITHMS)('%s issuer', (algorithm) => {
  it('has the documented shape', () => {
    const issuer = issuerFor(algorithm);
    expect(issuer.algorithm).toBe(algorithm);
    expect(issuer.issuer).toBe(DEFAULT_TEST_ISSUER);
    expect(issuer.audience).toBe(DEFAULT_TEST_AUDIENCE);
    expect(issuer.keys.algorithm).toBe(algorithm);
    expect(issuer.jwks.keys).toHaveLength(1);
    expect(issuer.jwks.keys[0]).toMatchObject({ kid: issuer.keys.kid, alg: algorithm });
    if (HMAC.includes(algorithm)) {
      expect(issuer.jwksUri).toBeUndefined();
      expect(issuer.verifierOptions()).toEqual({
        secret: issuer.keys.secret,
        algorithms: [algorithm],
        issuer: DEFAULT_TEST_ISSUER,
        audience: DEFAULT_TEST_AUDIENCE,
      });
    } else {
      expect(issuer.jwksUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\.well-known\/jwks\.json$/);
      expect(issuer.jwks.keys[0]).not.toHaveProperty('d');
      expect(issuer.verifierOptions()).toEqual({
        jwks: { keys: [issuer.keys.jwk] },
        algorithms: [algorithm],
        issuer: DEFAULT_TEST_ISSUER,
        audience: DEFAULT_TEST_AUDIENCE,
      });
    }
  });

  it.each(sourcesFor(algorithm))('sign() verifies with verifierOptions({ source: %s })', async (source) => {
    const issuer = issuerFor(algorithm);
    const verifier = createVerifier(issuer.verifierOptions({ source }));
    expect(verifier.algorithms).toEqual([algorithm]);
    const token = await issuer.sign({ role: 'admin' });
    const { header, payload } = await verifier.verify(token);
    expect(header).toEqual({ alg: algorithm, typ: 'JWT', kid: issuer.keys.kid });
    expect(payload).toMatchObject({ iss: DEFAULT_TEST_ISSUER, aud: DEFAULT_TEST_AUDIENCE, sub: 'user-1', role: 'admin' });
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(payload.exp! - payload.iat!).toBe(300);
    expect(Math.abs(payload.iat! - Date.now() / 1000)).toBeLessThan(5);
  });

  it('the default verifierOptions() verifies sign()', async () => {
    const issuer = issuerFor(algorithm);
    await expect(createVerifier(issuer.verifierOptions()).verify(await issuer.sign())).resolves.toBeDefined();
  });

  it('expired, not-yet-valid, wrong-audience and wrong-issuer tokens are refused with their codes', async () => {
    const issuer = issuerFor(algorithm);
    const verifier = createVerifier(issuer.verifierOptions());
    await expectCode(verifier.verify(await issuer.expiredToken()), 'token_expired');
    await expectCode(verifier.verify(await issuer.notYetValidToken()), 'token_not_yet_valid');
    await expectCode(verifier.verify(await issuer.wrongAudienceToken()), 'audience_mismatch');
    await expectCode(verifier.verify(await issuer.wrongIssuerToken()), 'issuer_mismatch');
  });

  it('tokenWithScopes() carries exactly those scopes', async () => {
    const issuer = issuerFor(algorithm);
    const verifier = createVerifier(issuer.verifierOptions());
    const context = await verifier.verify(await issuer.tokenWithScopes('orders:read', 'orders:write'));
    expect([...context.scopes]).toEqual(['orders:read', 'orders:write']);
    expect(context.payload.scope).toBe('orders:read orders:write');
  });
});

describe('refusals through the served JWKS (jwksUri)', () => {
  it('refuses each bad token with its code', async () => {
    const issuer = issuerFor('ES256');
    const verifier = createVerifier(issuer.verifierOptions({ source: 'jwksUri' }));
    await expectCode(verifier.verify(await issuer.expiredToken()), 'token_expired');
    await expectCode(verifier.verify(await issuer.notYetValidToken()), 'token_not_yet_valid');
    await expectCode(verifier.verify(await issuer.wrongAudienceToken()), 'audience_mismatch');
    await expectCode(verifier.verify(await issuer.wrongIssuerToken()), 'issuer_mismatch');
  });
});

describe('createTestIssuer', () => {
  it('defaults to RS256 with a served JWKS, and close() is idempotent', async () => {
    const issuer = await createTestIssuer();
    expect(issuer.algorithm).toBe('RS256');
    expect(issuer.jwksUri).toBeDefined();
    const response = await fetch(issuer.jwksUri!);
    expect(await response.json()).toEqual(issuer.jwks);
    await issuer.close();
    await issuer.close();
    await expect(fetch(issuer.jwksUri!)).rejects.toThrow();
  });

  it('takes issuer, audience and kid', async () => {
    const issuer = await createTestIssuer({ algorithm: 'EdDSA', issuer: 'https://idp.example/', audience: 'orders-api', kid: 'k1' });
    try {
      const { header, payload } = await createVerifier(issuer.verifierOptions()).verify(await issuer.sign());
      expect(header.kid).toBe('k1');
      expect(payload).toMatchObject({ iss: 'https://idp.example/', aud: 'orders-api' });
    } finally {
      await issuer.close();
    }
  });

  it('serveJwks: false serves nothing, so jwksUri is undefined and the jwksUri source is refused', async () => {
    const issuer = await createTestIssuer({ algorithm: 'ES384', serveJwks: false });
    expect(issuer.jwksUri).toBeUndefined();
    expect(() => issuer.verifierOptions({ source: 'jwksUri' })).toThrow(TypeError);
    await issuer.close();
  });

  it('refuses to serve an HMAC secret, and HS* issuers have no jwksUri or publicKey source', async () => {
    await expect(createTestIssuer({ algorithm: 'HS256', serveJwks: true })).rejects.toThrow(TypeError);
    const issuer = await createTestIssuer({ algorithm: 'HS256' });
    expect(() => issuer.verifierOptions({ source: 'jwksUri' })).toThrow(TypeError);
    expect(() => issuer.verifierOptions({ source: 'publicKey' })).toThrow(TypeError);
    await issuer.close();
  });

  it('an asymmetric issuer has no secret source', () => {
    expect(() => issuerFor('RS256').verifierOptions({ source: 'secret' })).toThrow(TypeError);
  });

  it('sign() takes claims and mint options over its defaults', async () => {
    const issuer = issuerFor('ES256');
    const verifier = createVerifier({ ...issuer.verifierOptions(), typ: 'at+jwt' });
    const token = await issuer.sign({ sub: 'user-2', tenant: 't1' }, { expiresIn: '1h', header: { typ: 'at+jwt' } });
    const { payload, header } = await verifier.verify(token);
    expect(header.typ).toBe('at+jwt');
    expect(payload).toMatchObject({ sub: 'user-2', tenant: 't1' });
    expect(payload.exp! - payload.iat!).toBe(3600);
  });

  it('the "bad" tokens stay bad whatever claims are added', async () => {
    const issuer = issuerFor('ES256');
    const verifier = createVerifier(issuer.verifierOptions());
    await expectCode(verifier.verify(await issuer.expiredToken({ exp: 9_999_999_999, sub: 'x' })), 'token_expired');
    await expectCode(verifier.verify(await issuer.wrongAudienceToken({ aud: issuer.audience })), 'audience_mismatch');
    await expectCode(verifier.verify(await issuer.wrongIssuerToken({ iss: issuer.issuer })), 'issuer_mismatch');
    await expectCode(verifier.verify(await issuer.notYetValidToken({ nbf: 0 })), 'token_not_yet_valid');
  });

  it('a wrong audience or issuer is never the expected one, even if the issuer is configured with it', async () => {
    const issuer = await createTestIssuer({
      algorithm: 'HS256',
      issuer: 'https://wrong-issuer.jwt-guard.test/',
      audience: 'https://wrong-audience.jwt-guard.test',
    });
    const verifier = createVerifier(issuer.verifierOptions());
    await expectCode(verifier.verify(await issuer.wrongAudienceToken()), 'audience_mismatch');
    await expectCode(verifier.verify(await issuer.wrongIssuerToken()), 'issuer_mismatch');
  });

  it('tokenWithScopes() with no scopes has no scope claim; a scope with a space is refused', async () => {
    const issuer = issuerFor('HS256');
    const context = await createVerifier(issuer.verifierOptions()).verify(await issuer.tokenWithScopes());
    expect(context.payload).not.toHaveProperty('scope');
    expect(context.scopes.size).toBe(0);
    expect(() => issuer.tokenWithScopes('a b')).toThrow(TypeError);
  });

  it("another issuer's token does not verify", async () => {
    const other = await createTestIssuer({ algorithm: 'RS256', serveJwks: false, kid: issuerFor('RS256').keys.kid });
    const verifier = createVerifier(issuerFor('RS256').verifierOptions());
    await expectCode(verifier.verify(await other.sign()), 'signature_invalid');
  });
});
