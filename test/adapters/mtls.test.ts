/**
 * Certificate-bound tokens (RFC 8705) over real mutual TLS on 127.0.0.1: every adapter's app on an
 * HTTPS server that asks for client certificates (test/fixtures/tls), the guard reading the peer
 * certificate of the request's own connection (no `mtls` option). The shared table covers the
 * header source on plain HTTP; test/oidc/mtls.test.ts the tokens of a real provider.
 */
import { Agent } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RejectedEvent } from '@jwt-guard/core';
import { createTestIssuer, type TestIssuer } from '@jwt-guard/testing';
import { CLIENT_A, CLIENT_B } from '../fixtures/tls/certificates.js';
import { ADAPTERS, startApp, type AdapterName, type TestApp } from './apps.js';
import { MTLS_SERVER, portOf, tlsRequest, type TlsRequest } from './tls-client.js';

let issuer: TestIssuer;
const apps = new Map<AdapterName, TestApp>();
const rejected = new Map<AdapterName, RejectedEvent[]>();
let boundToA: string;

const me = async (adapter: AdapterName, req: TlsRequest) => tlsRequest(`https://127.0.0.1:${await portOf(apps.get(adapter)!)}/me`, req);

beforeAll(async () => {
  issuer = await createTestIssuer({ algorithm: 'ES256' });
  boundToA = await issuer.sign({ cnf: { 'x5t#S256': CLIENT_A.thumbprint } });
  for (const adapter of ADAPTERS) {
    const events: RejectedEvent[] = [];
    rejected.set(adapter, events);
    apps.set(adapter, await startApp(adapter, { ...issuer.verifierOptions(), onRejected: (event) => events.push(event) }, { https: MTLS_SERVER }));
  }
});

afterAll(async () => {
  await Promise.all([...apps.values()].map((app) => app.close()));
  await issuer?.close();
});

describe.each(ADAPTERS)('%s over mutual TLS', (adapter) => {
  it('accepts a certificate-bound token over a connection made with its certificate', async () => {
    const response = await me(adapter, { client: CLIENT_A, token: boundToA });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ sub: 'user-1', scopes: [] });
  });

  it("refuses it with another client's certificate: 401 token_binding_invalid, and says which thumbprint came", async () => {
    const response = await me(adapter, { client: CLIENT_B, token: boundToA });
    expect(response.status).toBe(401);
    expect(JSON.parse(response.body)).toMatchObject({ error: 'token_binding_invalid' });
    expect(response.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token", error_description="The access token is bound to a client certificate/);
    expect(response.body).not.toContain(boundToA);
    expect(rejected.get(adapter)!.at(-1)!.hint).toContain(`thumbprint ${CLIENT_B.thumbprint} differs from the token's cnf x5t#S256 ${CLIENT_A.thumbprint}`);
  });

  it('refuses it over TLS without a client certificate', async () => {
    const response = await me(adapter, { token: boundToA });
    expect(response.status).toBe(401);
    expect(JSON.parse(response.body)).toMatchObject({ error: 'token_binding_invalid' });
    expect(rejected.get(adapter)!.at(-1)!.hint).toContain('the client sent no certificate');
  });

  it('a token without cnf needs no client certificate, and one with any certificate passes too', async () => {
    const unbound = await issuer.sign();
    expect((await me(adapter, { token: unbound })).status).toBe(200);
    expect((await me(adapter, { client: CLIENT_B, token: unbound })).status).toBe(200);
  });

  it('on one kept-alive connection, each request is checked against that connection\'s certificate', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const boundToB = await issuer.sign({ cnf: { 'x5t#S256': CLIENT_B.thumbprint } });
      expect((await me(adapter, { client: CLIENT_A, token: boundToA, agent })).status).toBe(200);
      // The verified token is cached now: the cache must not skip the binding.
      expect((await me(adapter, { client: CLIENT_A, token: boundToB, agent })).status).toBe(401);
      expect((await me(adapter, { client: CLIENT_A, token: boundToA, agent })).status).toBe(200);
    } finally {
      agent.destroy();
    }
  });

  it('a resumed TLS session still presents its certificate (no 401 for an honest client on reconnect)', async () => {
    // keepAlive off: a new connection per request, resuming the cached session.
    const agent = new Agent({ keepAlive: false, maxCachedSessions: 10 });
    try {
      const first = await me(adapter, { client: CLIENT_A, token: boundToA, agent });
      // TLS 1.3 tickets arrive after the first response: give the agent a moment to cache one.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const second = await me(adapter, { client: CLIENT_A, token: boundToA, agent });
      expect([first.status, second.status]).toEqual([200, 200]);
      expect(second.sessionReused).toBe(true);
    } finally {
      agent.destroy();
    }
  });
});
