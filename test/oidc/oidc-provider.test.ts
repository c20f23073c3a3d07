/**
 * The guard against a real, certified OpenID provider (`oidc-provider`), running in-process on
 * 127.0.0.1: RFC 9068 JWT access tokens obtained with the client-credentials grant over real HTTP,
 * verified from the provider's own discovery document and JWKS by the Express, Koa and Fastify
 * adapters, then a signing-key rotation on a restarted provider.
 */
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { errors, type ClientMetadata, type Configuration, type ResourceServer } from 'oidc-provider';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Algorithm, GuardOptions, JWK } from '@jwt-guard/core';
import { ADAPTERS, startApp, type AdapterName, type TestApp } from '../adapters/apps.js';
import { callProvider } from './support/http.js';
import { DISCOVERY_PATH, startProviderServer, type ProviderServer } from './support/provider-server.js';

const ORDERS_API = 'https://orders.api.test';
const BILLING_API = 'https://billing.api.test';
const ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const satisfies readonly Algorithm[];
type Alg = (typeof ALGORITHMS)[number];
/** The guard refetches the JWKS on an unknown `kid` at most once per `jwksCooldown`, counted from the last fetch. */
const COOLDOWN_MS = 1000;

// --- Keys -------------------------------------------------------------------------------------------

interface SigningKeys {
  /** Private JWKs for the provider's `jwks`, one per algorithm (PS256 shares the RSA key under its own kid). */
  jwks: JWK[];
  kidFor: Record<Alg, string>;
}

function privateJwk(key: KeyObject): JWK {
  return key.export({ format: 'jwk' });
}

function makeSigningKeys(generation: number): SigningKeys {
  const rsa = privateJwk(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
  const ec = privateJwk(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
  const ed = privateJwk(generateKeyPairSync('ed25519').privateKey);
  const kidFor: Record<Alg, string> = {
    RS256: `rsa-${generation}-rs256`,
    PS256: `rsa-${generation}-ps256`,
    ES256: `ec-${generation}`,
    EdDSA: `ed-${generation}`,
  };
  return {
    kidFor,
    jwks: [
      { ...rsa, kid: kidFor.RS256, alg: 'RS256', use: 'sig' },
      { ...rsa, kid: kidFor.PS256, alg: 'PS256', use: 'sig' },
      { ...ec, kid: kidFor.ES256, alg: 'ES256', use: 'sig' },
      { ...ed, kid: kidFor.EdDSA, alg: 'EdDSA', use: 'sig' },
    ],
  };
}

// --- The provider -------------------------------------------------------------------------------------

/** One client per algorithm: the resource server signs that client's access tokens with it. */
const CLIENTS: Record<Alg, { id: string; secret: string; auth: 'client_secret_basic' | 'client_secret_post' }> = {
  RS256: { id: 'svc-rs256', secret: randomBytes(32).toString('base64url'), auth: 'client_secret_basic' },
  PS256: { id: 'svc-ps256', secret: randomBytes(32).toString('base64url'), auth: 'client_secret_basic' },
  ES256: { id: 'svc-es256', secret: randomBytes(32).toString('base64url'), auth: 'client_secret_post' },
  EdDSA: { id: 'svc-eddsa', secret: randomBytes(32).toString('base64url'), auth: 'client_secret_post' },
};

function algOfClient(clientId: string): Alg {
  const alg = ALGORITHMS.find((candidate) => CLIENTS[candidate].id === clientId);
  if (alg === undefined) throw new Error(`unknown client ${clientId}`);
  return alg;
}

function providerConfiguration(jwks: JWK[]): Configuration {
  const clients: ClientMetadata[] = ALGORITHMS.map((alg) => ({
    client_id: CLIENTS[alg].id,
    client_secret: CLIENTS[alg].secret,
    token_endpoint_auth_method: CLIENTS[alg].auth,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
  }));
  return {
    clients,
    jwks: { keys: jwks },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    scopes: ['orders:read', 'orders:write', 'billing:read'],
    ttl: { ClientCredentials: 300 },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => ORDERS_API,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resourceIndicator, client): ResourceServer => {
          // RFC 9068 JWT access tokens, signed with the algorithm this client stands for.
          const jwt = { sign: { alg: algOfClient(client.clientId) } };
          switch (resourceIndicator) {
            case ORDERS_API:
              return { scope: 'orders:read orders:write', audience: ORDERS_API, accessTokenFormat: 'jwt', jwt };
            case BILLING_API:
              return { scope: 'billing:read', audience: BILLING_API, accessTokenFormat: 'jwt', jwt };
            default:
              throw new errors.InvalidTarget();
          }
        },
      },
    },
  };
}

/**
 * The provider behind a plain node server we own, so that it can be stopped and started again on
 * the same port, and so that every JWKS request is counted (the guards' fetches, nothing guessed).
 */
class RunningProvider {
  /** Arrival times (ms) of the requests for the JWKS, across restarts. */
  readonly jwksRequests: number[] = [];
  /** Arrival times (ms) of the requests for the discovery document. */
  readonly discoveryRequests: number[] = [];
  issuer = '';
  jwksUri = '';
  tokenEndpoint = '';
  private server: ProviderServer | undefined;
  private port = 0;
  private jwksPath = '';

  async start(keys: SigningKeys): Promise<void> {
    const server = await startProviderServer(providerConfiguration(keys.jwks), {
      port: this.port,
      onRequest: (method, path) => {
        if (method === 'GET' && this.jwksPath !== '' && path === this.jwksPath) this.jwksRequests.push(Date.now());
        if (method === 'GET' && path === DISCOVERY_PATH) this.discoveryRequests.push(Date.now());
      },
    });
    this.server = server;
    this.port = server.port;
    this.issuer = server.issuer;
    this.jwksUri = server.jwksUri;
    this.tokenEndpoint = server.tokenEndpoint;
    this.jwksPath = new URL(server.jwksUri).pathname;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await server?.stop();
  }

  /** A real token request: client_credentials, RFC 8707 `resource`, the client's own authentication method. */
  async token(alg: Alg, scope: string, resource: string = ORDERS_API): Promise<string> {
    const client = CLIENTS[alg];
    const form = new URLSearchParams({ grant_type: 'client_credentials', resource, scope });
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (client.auth === 'client_secret_basic') {
      headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`).toString('base64')}`;
    } else {
      form.set('client_id', client.id);
      form.set('client_secret', client.secret);
    }
    const response = await callProvider(this.tokenEndpoint, { method: 'POST', headers, body: form.toString() });
    const body = response.body as { access_token?: string; token_type?: string };
    if (response.status !== 200 || typeof body.access_token !== 'string') {
      throw new Error(`token endpoint answered ${response.status}: ${JSON.stringify(body)}`);
    }
    expect(body.token_type).toBe('Bearer');
    return body.access_token;
  }
}

// --- Fixtures -----------------------------------------------------------------------------------------

const provider = new RunningProvider();
const apps = new Map<AdapterName, TestApp>();
const oldKeys = makeSigningKeys(1);
const newKeys = makeSigningKeys(2);

function guardOptions(): GuardOptions {
  return {
    jwksUri: provider.jwksUri,
    issuer: provider.issuer,
    audience: ORDERS_API,
    typ: 'at+jwt',
    algorithms: [...ALGORITHMS],
    // Default '30s': a rotation would otherwise have to wait 30 s after the last JWKS fetch
    // before a token with a new kid makes the guard refetch. 1 s keeps the file fast.
    jwksCooldown: `${COOLDOWN_MS / 1000}s`,
  };
}

function app(adapter: AdapterName): TestApp {
  const running = apps.get(adapter);
  if (running === undefined) throw new Error(`${adapter} app not started`);
  return running;
}

/** Runs `action` and returns how many JWKS requests reached the provider meanwhile. */
async function countJwksFetches(action: () => Promise<void>): Promise<number> {
  const before = provider.jwksRequests.length;
  await action();
  return provider.jwksRequests.length - before;
}

function getMeOn(running: TestApp, token: string) {
  return request(running.server).get('/me').set('authorization', `Bearer ${token}`);
}

function getMe(adapter: AdapterName, token: string) {
  return getMeOn(app(adapter), token);
}

beforeAll(async () => {
  await provider.start(oldKeys);
  for (const adapter of ADAPTERS) apps.set(adapter, await startApp(adapter, guardOptions()));
});

afterAll(async () => {
  await Promise.all([...apps.values()].map((running) => running.close()));
  await provider.stop();
});

// --- Tests --------------------------------------------------------------------------------------------

describe('oidc-provider issues RFC 9068 access tokens', () => {
  it.each(ALGORITHMS)('%s: typ at+jwt, the key of that algorithm, issuer, audience and granted scopes', async (alg) => {
    const token = await provider.token(alg, 'orders:read orders:write');
    expect(decodeProtectedHeader(token)).toEqual({ alg, typ: 'at+jwt', kid: oldKeys.kidFor[alg] });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ iss: provider.issuer, aud: ORDERS_API, client_id: CLIENTS[alg].id, sub: CLIENTS[alg].id, scope: 'orders:read orders:write' });
    expect(typeof claims.exp).toBe('number');
  });

  it('publishes every signing key in its JWKS at the discovery jwks_uri', async () => {
    const before = provider.jwksRequests.length;
    const { status, body } = await callProvider(provider.jwksUri);
    expect(status).toBe(200);
    expect(provider.jwksRequests.length - before, 'the JWKS counter sees this request').toBe(1);
    const jwks = body as { keys: JWK[] };
    expect(jwks.keys.map((key) => [key.kid, key.alg])).toEqual(ALGORITHMS.map((alg) => [oldKeys.kidFor[alg], alg]));
    for (const key of jwks.keys) expect(key).not.toHaveProperty('d');
  });
});

describe.each(ADAPTERS)('%s verifies the provider tokens', (adapter) => {
  it('fetches the JWKS once, on the first token, then serves every algorithm from the cache', async () => {
    const tokens = await Promise.all(ALGORITHMS.map((alg) => provider.token(alg, 'orders:read orders:write')));
    const fetches = await countJwksFetches(async () => {
      for (const [index, token] of tokens.entries()) {
        const response = await getMe(adapter, token);
        expect(response.status, ALGORITHMS[index]).toBe(200);
        expect(response.body).toEqual({ sub: CLIENTS[ALGORITHMS[index]!].id, scopes: ['orders:read', 'orders:write'] });
      }
    });
    expect(fetches).toBe(1);
  });

  it.each(ALGORITHMS)('%s: scopes are enforced (orders:read only: GET /orders 200, POST /orders 403)', async (alg) => {
    const token = await provider.token(alg, 'orders:read');
    const fetches = await countJwksFetches(async () => {
      const list = await request(app(adapter).server).get('/orders').set('authorization', `Bearer ${token}`);
      expect(list.status).toBe(200);
      expect(list.body).toEqual({ sub: CLIENTS[alg].id, scopes: ['orders:read'] });

      const create = await request(app(adapter).server).post('/orders').set('authorization', `Bearer ${token}`);
      expect(create.status).toBe(403);
      expect(create.body).toMatchObject({ error: 'insufficient_scope' });
      expect(create.headers['www-authenticate']).toMatch(/^Bearer error="insufficient_scope".*scope="orders:write"/);
    });
    expect(fetches).toBe(0);
  });

  it.each(ALGORITHMS)('%s: a token for another resource (aud https://billing.api.test) is refused with audience_mismatch', async (alg) => {
    const token = await provider.token(alg, 'billing:read', BILLING_API);
    expect(decodeJwt(token).aud).toBe(BILLING_API);
    const response = await getMe(adapter, token);
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ error: 'audience_mismatch' });
    expect(response.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token"/);
  });
});

describe('discovery: true finds the JWKS through the provider metadata', () => {
  it.each(ADAPTERS)('%s: one discovery read, one JWKS fetch, then the token is accepted', async (adapter) => {
    const { jwksUri: _jwksUri, jwksCooldown: _cooldown, ...rest } = guardOptions();
    const discovered = await startApp(adapter, { ...rest, discovery: true });
    try {
      const token = await provider.token('ES256', 'orders:read');
      const discoveryBefore = provider.discoveryRequests.length;
      const jwksBefore = provider.jwksRequests.length;
      for (let round = 0; round < 2; round += 1) {
        const response = await request(discovered.server).get('/orders').set('authorization', `Bearer ${token}`);
        expect(response.status).toBe(200);
        expect(response.body).toEqual({ sub: CLIENTS.ES256.id, scopes: ['orders:read'] });
      }
      expect(provider.discoveryRequests.length - discoveryBefore).toBe(1);
      expect(provider.jwksRequests.length - jwksBefore).toBe(1);
    } finally {
      await discovered.close();
    }
  });

  it('an issuer that differs from the metadata issuer (a trailing slash) fetches no keys: 503 key_source_unavailable', async () => {
    const { jwksUri: _jwksUri, ...rest } = guardOptions();
    const discovered = await startApp('express', { ...rest, issuer: `${provider.issuer}/`, discovery: true });
    try {
      const jwksBefore = provider.jwksRequests.length;
      const response = await getMeOn(discovered, await provider.token('RS256', 'orders:read'));
      expect(response.status).toBe(503);
      expect(response.body).toMatchObject({ error: 'key_source_unavailable' });
      expect(provider.jwksRequests.length - jwksBefore).toBe(0);
    } finally {
      await discovered.close();
    }
  });
});

describe('signing-key rotation on a restarted provider', () => {
  it('every adapter accepts tokens from the new key without a restart or a failed request; old tokens still verify', async () => {
    // Tokens from the first provider, signed with the old keys.
    const oldTokens = await Promise.all(ALGORITHMS.map((alg) => provider.token(alg, 'orders:read')));
    const issuerBefore = provider.issuer;
    const jwksUriBefore = provider.jwksUri;
    const fetchesBeforeRestart = provider.jwksRequests.length;
    const appServers = ADAPTERS.map((adapter) => app(adapter).server);

    // Restart on the same port: new keys first (the provider signs with the first matching key),
    // the old ones still published so that tokens already issued keep verifying.
    await provider.stop();
    await provider.start({ kidFor: newKeys.kidFor, jwks: [...newKeys.jwks, ...oldKeys.jwks] });
    expect(provider.issuer).toBe(issuerBefore);
    expect(provider.jwksUri).toBe(jwksUriBefore);
    // Nothing has asked the restarted provider for its JWKS yet.
    expect(provider.jwksRequests.length).toBe(fetchesBeforeRestart);

    const newTokens = await Promise.all(ALGORITHMS.map((alg) => provider.token(alg, 'orders:read')));
    for (const [index, token] of newTokens.entries()) {
      expect(decodeProtectedHeader(token).kid).toBe(newKeys.kidFor[ALGORITHMS[index]!]);
    }

    // A token with a kid nobody publishes, to probe the cooldown after the refetch.
    const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const unknownKidToken = await new SignJWT({ scope: 'orders:read' })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'nobody-publishes-this' })
      .setIssuer(provider.issuer)
      .setAudience(ORDERS_API)
      .setSubject('intruder')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(stranger);

    // The guards last fetched the JWKS on their first token; a new kid makes them refetch only once
    // the cooldown has passed since that fetch, so wait it out (measured, not guessed).
    const lastFetch = provider.jwksRequests.at(-1) ?? 0;
    await sleep(Math.max(0, lastFetch + COOLDOWN_MS + 100 - Date.now()));

    for (const adapter of ADAPTERS) {
      // The new-kid tokens of every algorithm at once, as concurrent traffic would bring them:
      // exactly one refetch (concurrent unknown kids share it), and every request succeeds.
      const refetches = await countJwksFetches(async () => {
        const responses = await Promise.all(newTokens.map((token) => getMe(adapter, token)));
        for (const [index, response] of responses.entries()) {
          const alg = ALGORITHMS[index]!;
          expect(response.status, `${adapter} ${alg} new key`).toBe(200);
          expect(response.body).toEqual({ sub: CLIENTS[alg].id, scopes: ['orders:read'] });
        }
      });
      expect(refetches, `${adapter}: JWKS fetches for the new kids`).toBe(1);

      // That one fetch brought every new key, and the old keys are still published: new and old
      // tokens alike verify from the cache now.
      const more = await countJwksFetches(async () => {
        for (const [label, tokens] of [['new', newTokens], ['old', oldTokens]] as const) {
          for (const [index, token] of tokens.entries()) {
            const alg = ALGORITHMS[index]!;
            const response = await getMe(adapter, token);
            expect(response.status, `${adapter} ${alg} ${label} key`).toBe(200);
            expect(response.body).toEqual({ sub: CLIENTS[alg].id, scopes: ['orders:read'] });
          }
        }
        // Scopes still enforced on a new-key token.
        const create = await request(app(adapter).server).post('/orders').set('authorization', `Bearer ${newTokens[1]!}`);
        expect(create.status).toBe(403);
        expect(create.body).toMatchObject({ error: 'insufficient_scope' });

        // Within the cooldown of that refetch an unknown kid does not cause another fetch.
        const unknown = await getMe(adapter, unknownKidToken);
        expect(unknown.status).toBe(401);
        expect(unknown.body).toMatchObject({ error: 'key_not_found' });
      });
      expect(more, `${adapter}: JWKS fetches after the refetch`).toBe(0);
    }
    // The same app instances throughout: no adapter was restarted.
    for (const [index, adapter] of ADAPTERS.entries()) expect(app(adapter).server).toBe(appServers[index]);
  });
});
