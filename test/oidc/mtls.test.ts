/**
 * Certificate-bound access tokens (RFC 8705) end to end: oidc-provider on 127.0.0.1 over mutual TLS
 * issues an RFC 9068 JWT access token bound to the client certificate of the token request
 * (client-credentials, `tls_client_auth`), and every adapter's HTTPS app accepts it only over a
 * connection made with that certificate — or, behind a TLS-terminating proxy, with that certificate
 * in the header `mtls.certificate` reads.
 */
import { decodeJwt, decodeProtectedHeader } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateFromHeader, type GuardOptions } from '@jwt-guard/core';
import { CLIENT_A, CLIENT_B } from '../fixtures/tls/certificates.js';
import { ADAPTERS, startApp, type AdapterName, type TestApp } from '../adapters/apps.js';
import { MTLS_SERVER, portOf, tlsRequest } from '../adapters/tls-client.js';
import { RESOURCE, startMtlsProvider, subjectDnOf, type RunningMtlsProvider } from './support/mtls-provider.js';

const CLIENT_ID = 'svc-orders-mtls';
let provider: RunningMtlsProvider;
let token: string;
const tlsApps = new Map<AdapterName, TestApp>();
/** The same apps on plain HTTP behind an imagined TLS-terminating proxy: the certificate comes in x-client-cert. */
const proxiedApps = new Map<AdapterName, TestApp>();

function guardOptions(): GuardOptions {
  // The keys from the provider's jwks_uri, given statically: the guard's own fetch would not trust the test CA.
  return { jwks: provider.jwks, issuer: provider.issuer, audience: RESOURCE, typ: 'at+jwt', algorithms: ['ES256'] };
}

beforeAll(async () => {
  provider = await startMtlsProvider([{ id: CLIENT_ID, subjectDn: subjectDnOf(CLIENT_A) }]);
  const issued = await provider.token(CLIENT_A, CLIENT_ID);
  expect(issued.status, JSON.stringify(issued.body)).toBe(200);
  token = String(issued.body.access_token);
  for (const adapter of ADAPTERS) {
    tlsApps.set(adapter, await startApp(adapter, guardOptions(), { https: MTLS_SERVER }));
    proxiedApps.set(adapter, await startApp(adapter, { ...guardOptions(), mtls: { certificate: certificateFromHeader('x-client-cert') } }));
  }
});

afterAll(async () => {
  await Promise.all([...tlsApps.values(), ...proxiedApps.values()].map((app) => app.close()));
  await provider?.close();
});

describe('oidc-provider issues a certificate-bound JWT access token over mutual TLS', () => {
  it('an RFC 9068 token whose cnf x5t#S256 is the thumbprint of the certificate the client connected with', () => {
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    expect(decodeJwt(token)).toMatchObject({ iss: provider.issuer, aud: RESOURCE, client_id: CLIENT_ID, scope: 'orders:read', cnf: { 'x5t#S256': CLIENT_A.thumbprint } });
  });

  it('refuses the token request without a client certificate, or with one of another subject', async () => {
    expect((await provider.token(undefined, CLIENT_ID)).body).toMatchObject({ error: 'invalid_client' });
    expect((await provider.token(CLIENT_B, CLIENT_ID)).body).toMatchObject({ error: 'invalid_client' });
  });
});

describe.each(ADAPTERS)('%s verifies the bound token', (adapter) => {
  const overTls = async (client: typeof CLIENT_A | undefined) => tlsRequest(`https://127.0.0.1:${await portOf(tlsApps.get(adapter)!)}/orders`, { client, token });

  it('accepts it over a TLS connection made with the certificate it is bound to', async () => {
    const response = await overTls(CLIENT_A);
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ sub: CLIENT_ID, scopes: ['orders:read'] });
  });

  it("refuses it with another client's certificate and without one: 401 token_binding_invalid", async () => {
    for (const client of [CLIENT_B, undefined]) {
      const response = await overTls(client);
      expect(response.status, client === undefined ? 'no certificate' : 'client-b').toBe(401);
      expect(JSON.parse(response.body)).toMatchObject({ error: 'token_binding_invalid' });
      expect(response.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    }
  });

  it('behind a TLS-terminating proxy: accepted with its certificate in x-client-cert, refused with another or none', async () => {
    const app = proxiedApps.get(adapter)!;
    const send = (header?: string) => {
      const pending = request(app.server).get('/orders').set('authorization', `Bearer ${token}`);
      return header === undefined ? pending : pending.set('x-client-cert', header);
    };
    expect((await send(encodeURIComponent(CLIENT_A.cert))).status).toBe(200);
    for (const header of [encodeURIComponent(CLIENT_B.cert), undefined, 'garbage']) {
      const response = await send(header);
      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({ error: 'token_binding_invalid' });
    }
  });
});
