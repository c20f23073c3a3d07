import { afterEach, describe, expect, it } from 'vitest';
import { createGuard, createVerifier, JwtGuardError, memoryRevocationStore, type AuthContext, type RevocationStore } from '@jwt-guard/core';
import { CLAIM_OPTIONS, nowSeconds, rsaPair, SECRET_32, sign, startJwksEndpoint, validClaims, type JwksEndpoint } from './helpers.js';

// The adapters skip a promise per request when verification can answer at once; these are the
// cases where it must, and the ones where it must wait (and then still give the same verdicts).

const endpoints: JwksEndpoint[] = [];
afterEach(async () => {
  await Promise.all(endpoints.splice(0).map((endpoint) => endpoint.close()));
});

describe('verifyNow', () => {
  it('answers synchronously with keys given in the options, cached or not, and with a memory revocation store', async () => {
    const verifier = createVerifier({ secret: SECRET_32, ...CLAIM_OPTIONS, revocation: { store: memoryRevocationStore() } });
    const token = await sign(SECRET_32, 'HS256', validClaims({ jti: 'a' }));
    for (let use = 0; use < 3; use++) {
      const result = verifier.verifyNow(token);
      expect(result).not.toBeInstanceOf(Promise);
      expect((result as AuthContext).payload.jti).toBe('a');
    }
  });

  it('throws the JwtGuardError synchronously for a refused token; verify() rejects with the same', async () => {
    const verifier = createVerifier({ secret: SECRET_32, ...CLAIM_OPTIONS });
    const expired = await sign(SECRET_32, 'HS256', validClaims({ exp: nowSeconds() - 60 }));
    expect(() => verifier.verifyNow(expired)).toThrow(expect.objectContaining({ code: 'token_expired' }) as Error);
    await expect(verifier.verify(expired)).rejects.toMatchObject({ code: 'token_expired' });
    expect(() => verifier.verifyNow('not a token')).toThrow(JwtGuardError);
  });

  it('returns a promise while a JWKS is fetched, then answers synchronously from the held keys', async () => {
    const rsa = rsaPair();
    const endpoint = await startJwksEndpoint([{ ...rsa.publicJwk, kid: 'k', alg: 'RS256' }]);
    endpoints.push(endpoint);
    const verifier = createVerifier({ jwksUri: endpoint.url, ...CLAIM_OPTIONS, tokenCache: false });
    const token = await sign(rsa.privateKey, 'RS256', validClaims(), { kid: 'k' });
    const first = verifier.verifyNow(token);
    expect(first).toBeInstanceOf(Promise);
    await expect(first).resolves.toMatchObject({ payload: { sub: 'user-1' } });
    expect(verifier.verifyNow(token)).not.toBeInstanceOf(Promise);
  });

  it('returns a promise when the revocation store answers asynchronously, and refuses a revoked token through it', async () => {
    const revoked = new Set<string>();
    const store: RevocationStore = {
      revoke: async (jti) => void revoked.add(jti),
      revokeSubject: async () => undefined,
      check: async ({ jti }) => (jti !== undefined && revoked.has(jti) ? 'revoked' : 'active'),
    };
    const verifier = createVerifier({ secret: SECRET_32, ...CLAIM_OPTIONS, revocation: { store } });
    const token = await sign(SECRET_32, 'HS256', validClaims({ jti: 'r' }));
    const pending = verifier.verifyNow(token);
    expect(pending).toBeInstanceOf(Promise);
    await expect(pending).resolves.toBeDefined();
    await store.revoke('r', nowSeconds() + 60);
    await expect(verifier.verifyNow(token)).rejects.toMatchObject({ code: 'token_revoked' });
  });
});

describe('guard.authenticate', () => {
  it('gives a synchronous outcome for a valid, a missing and a refused token with local keys', async () => {
    const guard = createGuard({ secret: SECRET_32, ...CLAIM_OPTIONS });
    const token = await sign(SECRET_32, 'HS256', validClaims());
    const request = (authorization?: string) => ({ method: 'GET', url: '/', headers: authorization === undefined ? {} : { authorization } });
    expect(guard.authenticate(request(`Bearer ${token}`))).toMatchObject({ type: 'authenticated' });
    expect(guard.authenticate(request())).toMatchObject({ type: 'rejected', error: { code: 'token_missing' } });
    expect(guard.authenticate(request(`Bearer ${token}x`))).toMatchObject({ type: 'rejected' });
  });
});
