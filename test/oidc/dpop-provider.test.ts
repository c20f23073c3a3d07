/**
 * What the DPoP provider fixture (support/dpop-provider.ts) gives a resource-server test: a real
 * oidc-provider's DPoP-bound RFC 9068 access token whose cnf.jkt is the RFC 7638 thumbprint of the
 * client's key, and proofs made by the `dpop` package that jose verifies, for ES256 and Ed25519,
 * with the provider's nonces and without.
 */
import { createHash, webcrypto } from 'node:crypto';
import { calculateJwkThumbprint, createRemoteJWKSet, EmbeddedJWK, jwtVerify, type JWK } from 'jose';
import { generateKeyPair, generateProof } from 'dpop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientCredentialsRequest } from './support/http.js';
import {
  DPOP_ALGORITHMS,
  DPOP_API,
  DPOP_CLIENT,
  DPOP_SCOPE,
  startDpopProvider,
  TOKEN_SIGNING_ALG,
  TOKEN_SIGNING_KID,
  type DpopAlg,
  type DpopProvider,
} from './support/dpop-provider.js';

const RESOURCE_URL = 'http://127.0.0.1:8080/orders/42';
const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');
const publicJwkOf = async (key: webcrypto.CryptoKey) => (await webcrypto.subtle.exportKey('jwk', key)) as JWK;

describe.each([
  { label: 'without nonces', requireNonce: false },
  { label: 'requiring nonces', requireNonce: true },
])('the DPoP provider fixture, $label', ({ requireNonce }) => {
  let provider: DpopProvider;

  beforeAll(async () => {
    provider = await startDpopProvider({ requireNonce });
  });

  afterAll(async () => {
    await provider?.stop();
  });

  it.each(DPOP_ALGORITHMS)('%s: the token is the provider’s JWT for the resource, bound (cnf.jkt) to the RFC 7638 thumbprint of the client key', async (alg: DpopAlg) => {
    const { token, keyPair, providerNonce } = await provider.dpopToken(alg);
    const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(provider.jwksUri)), {
      issuer: provider.issuer,
      audience: DPOP_API,
      typ: 'at+jwt',
      algorithms: [TOKEN_SIGNING_ALG],
    });
    expect(protectedHeader.kid).toBe(TOKEN_SIGNING_KID);
    expect(payload).toMatchObject({ client_id: DPOP_CLIENT.id, scope: DPOP_SCOPE });
    const thumbprint = await calculateJwkThumbprint(await publicJwkOf(keyPair.publicKey), 'sha256');
    expect(payload.cnf).toEqual({ jkt: thumbprint });
    // The provider asked for a nonce (use_dpop_nonce) exactly when it requires them.
    expect(typeof providerNonce).toBe(requireNonce ? 'string' : 'undefined');
  });

  it.each(DPOP_ALGORITHMS)('%s: proof() is a dpop+jwt that jose verifies with its embedded key (the bound one), with htm, htu, iat, jti, ath and the nonce given', async (alg: DpopAlg) => {
    const { token, proof } = await provider.dpopToken(alg);
    const made = await proof('GET', `${RESOURCE_URL}?page=2#top`, token, 'resource-nonce');
    const { payload, protectedHeader } = await jwtVerify(made, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: [alg] });
    expect(protectedHeader.alg).toBe(alg); // dpop names Ed25519 so (RFC 9864), not EdDSA
    const cnf = (await jwtVerify(token, createRemoteJWKSet(new URL(provider.jwksUri)))).payload.cnf as { jkt: string };
    expect(await calculateJwkThumbprint(protectedHeader.jwk!, 'sha256')).toBe(cnf.jkt);
    expect(protectedHeader.jwk).not.toHaveProperty('d');
    expect(payload).toMatchObject({ htm: 'GET', htu: RESOURCE_URL, ath: sha256(token), nonce: 'resource-nonce' });
    expect(Math.abs(Number(payload.iat) - Date.now() / 1000)).toBeLessThan(5);
    expect(typeof payload.jti).toBe('string');

    const other = (await jwtVerify(await proof('POST', RESOURCE_URL, token), EmbeddedJWK)).payload;
    expect(other.jti, 'every proof has its own jti').not.toBe(payload.jti);
    expect(other).not.toHaveProperty('nonce');
    expect(other.htm).toBe('POST');
  });

  it('refuses this client a token request without a DPoP proof: every token it gives is bound', async () => {
    const response = await clientCredentialsRequest(provider.tokenEndpoint, {
      clientId: DPOP_CLIENT.id,
      clientSecret: DPOP_CLIENT.secret,
      resource: DPOP_API,
      scope: DPOP_SCOPE,
    });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: 'invalid_grant' });
    expect(response.body).not.toHaveProperty('access_token');
  });

  it('refuses a token request whose proof signs another URL (htu): the provider checks the proofs it is sent', async () => {
    const keyPair = await generateKeyPair('ES256');
    const response = await clientCredentialsRequest(provider.tokenEndpoint, {
      clientId: DPOP_CLIENT.id,
      clientSecret: DPOP_CLIENT.secret,
      resource: DPOP_API,
      scope: DPOP_SCOPE,
      headers: { dpop: await generateProof(keyPair, `${provider.issuer}/elsewhere`, 'POST') },
    });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: 'invalid_dpop_proof' }); // htu is checked before a nonce is asked for
  });
});
