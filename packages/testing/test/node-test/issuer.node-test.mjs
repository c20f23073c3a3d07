// @jwt-guard/testing under node:test (no vitest, no Jest), against the BUILT package:
//   node --test packages/testing/test/node-test/
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createVerifier } from '@jwt-guard/core';
import { bearer, createTestIssuer } from '@jwt-guard/testing';

describe('@jwt-guard/testing with node:test', () => {
  let issuer;
  before(async () => {
    issuer = await createTestIssuer({ algorithm: 'ES256' });
  });
  after(() => issuer.close());

  it('mints a token the verifier accepts, keys fetched from the local JWKS', async () => {
    const verifier = createVerifier(issuer.verifierOptions({ source: 'jwksUri' }));
    const auth = await verifier.verify(await issuer.tokenWithScopes('orders:read'));
    assert.deepEqual([...auth.scopes], ['orders:read']);
  });

  it('mints tokens the verifier refuses, each with its reason', async () => {
    const verifier = createVerifier(issuer.verifierOptions());
    await assert.rejects(verifier.verify(await issuer.expiredToken()), { code: 'token_expired' });
    await assert.rejects(verifier.verify(await issuer.wrongAudienceToken()), { code: 'audience_mismatch' });
    const auth = await verifier.verify(await issuer.tokenWithoutScopes());
    assert.equal(auth.scopes.size, 0);
  });

  it('builds the Authorization header', async () => {
    assert.match(bearer(await issuer.sign()).authorization, /^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
  });
});
