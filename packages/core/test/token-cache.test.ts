import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { createVerifier, memoryRevocationStore, type VerifierOptions } from '@jwt-guard/core';

const SECRET = 'c9Jq2xV9pL4mN8rT1wZ5yB3kF6hD0sGaQeUiOjXv';
const key = new TextEncoder().encode(SECRET);
const base = { secret: SECRET, issuer: 'i', audience: 'a' } satisfies VerifierOptions;

function token(claims: Record<string, unknown> = {}, signingKey: Uint8Array | CryptoKey = key, alg = 'HS256', kid?: string): Promise<string> {
  return new SignJWT({ sub: 'u', jti: `j-${Math.random()}`, ...claims })
    .setProtectedHeader({ alg, ...(kid ? { kid } : {}) })
    .setIssuer('i')
    .setAudience('a')
    .setExpirationTime(typeof claims.exp === 'number' ? claims.exp : Math.floor(Date.now() / 1000) + 300)
    .sign(signingKey);
}

describe('verified-token cache', () => {
  it('answers a reused token from the cache: the same verdict object, no second signature check', async () => {
    const verifier = createVerifier(base);
    const t = await token();
    await verifier.verify(t); // first sighting: verified, not yet stored (admission on second use)
    const second = await verifier.verify(t);
    expect(await verifier.verify(t)).toBe(second);
    const uncached = createVerifier({ ...base, tokenCache: false });
    expect(await uncached.verify(t)).not.toBe(await uncached.verify(t));
  });

  it('re-checks exp on every hit, and drops the entry', async () => {
    let now = Date.now();
    const verifier = createVerifier({ ...base, currentDate: () => new Date(now) });
    const t = await token({ exp: Math.floor(now / 1000) + 10 });
    await verifier.verify(t);
    const cached = await verifier.verify(t);
    expect(await verifier.verify(t)).toBe(cached);
    now += 11_000;
    await expect(verifier.verify(t)).rejects.toMatchObject({ code: 'token_expired' });
    now -= 11_000;
    // Dropped: this verification is a full one again, so a new verdict object.
    expect(await verifier.verify(t)).not.toBe(cached);
  });

  it('consults revocation on every hit', async () => {
    const store = memoryRevocationStore();
    const verifier = createVerifier({ ...base, revocation: { store } });
    // With revocation on, a token of a subject carries iat (so that a subject revocation can name it).
    const t = await token({ jti: 'cached-then-revoked', iat: Math.floor(Date.now() / 1000) });
    await verifier.verify(t);
    await verifier.verify(t);
    await store.revoke('cached-then-revoked', Math.floor(Date.now() / 1000) + 300);
    await expect(verifier.verify(t)).rejects.toMatchObject({ code: 'token_revoked' });
  });

  it('stores nothing for a token used once (admission on second use)', async () => {
    const verifier = createVerifier(base);
    const t = await token();
    const first = await verifier.verify(t);
    expect(await verifier.verify(t)).not.toBe(first);
  });

  it('never caches a refusal', async () => {
    const other = 'Qm3vX8qL2mZ7wR4tN9yB6cH1jF5dG0sAeUiOoPxA';
    let calls = 0;
    const verifier = createVerifier({
      getKey: () => (++calls === 1 ? other : SECRET),
      algorithms: ['HS256'],
      getKeyCacheTtl: 0,
      issuer: 'i',
      audience: 'a',
    });
    const t = await token();
    await expect(verifier.verify(t)).rejects.toMatchObject({ code: 'signature_invalid' });
    await expect(verifier.verify(t)).resolves.toBeDefined();
  });

  it('is bounded: the least recently used verdict goes first', async () => {
    const verifier = createVerifier({ ...base, tokenCache: { maxEntries: 2 } });
    const [a, b, c] = await Promise.all([token(), token(), token()]);
    await verifier.verify(a);
    const verdictA = await verifier.verify(a);
    expect(await verifier.verify(a)).toBe(verdictA);
    for (const other of [b, c]) {
      await verifier.verify(other);
      await verifier.verify(other);
    } // c evicts a
    expect(await verifier.verify(a)).not.toBe(verdictA);
  });

  it('refuses a bad tokenCache option at start-up', () => {
    expect(() => createVerifier({ ...base, tokenCache: { maxEntries: -1 } })).toThrow(/maxEntries/);
    expect(() => createVerifier({ ...base, tokenCache: 'yes' as never })).toThrow(/tokenCache must be/);
  });
});

describe('verified-token cache with a remote JWKS', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('drops a cached verdict once its key has left the key set', async () => {
    const oldPair = await generateKeyPair('ES256', { extractable: true });
    const newPair = await generateKeyPair('ES256', { extractable: true });
    let keys = [{ ...(await exportJWK(oldPair.publicKey)), kid: 'old' }];
    server = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys }));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
    const verifier = createVerifier({ jwksUri, issuer: 'i', audience: 'a', jwksCacheMaxAge: 0.5 });
    const t = await token({}, oldPair.privateKey, 'ES256', 'old');
    await verifier.verify(t);
    const second = await verifier.verify(t);
    expect(await verifier.verify(t)).toBe(second);
    keys = [{ ...(await exportJWK(newPair.publicKey)), kid: 'new' }];
    await new Promise((resolve) => setTimeout(resolve, 600));
    // Past their lifetime the keys still answer (within the stale-if-error grace) while the refresh
    // runs in the background (issue 12, rule 6); once the refreshed set is in, the verdict is gone.
    await verifier.verify(t);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await expect(verifier.verify(t)).rejects.toMatchObject({ code: 'key_not_found' });
  });
});
