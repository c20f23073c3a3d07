import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JWK } from 'jose';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, type VerifierOptions } from '@jwt-guard/core';
import {
  CLAIM_OPTIONS,
  configError,
  ecPair,
  rejection,
  rsaPair,
  SECRET_32,
  sendJson,
  sign,
  sleep,
  startServer,
  validClaims,
  type RsaPair,
  type TestServer,
} from './helpers.js';

let rsaA: RsaPair;
let rsaB: RsaPair;
let rsa1024: RsaPair;
let jwkA: JWK;
let jwkB: JWK;

beforeAll(() => {
  rsaA = rsaPair();
  rsaB = rsaPair();
  rsa1024 = rsaPair(1024);
  jwkA = { ...rsaA.publicJwk, kid: 'a', use: 'sig' };
  jwkB = { ...rsaB.publicJwk, kid: 'b', use: 'sig' };
});

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse, hit: number) => void): Promise<TestServer> {
  const server = await startServer(handler);
  servers.push(server);
  return server;
}

/** A JWKS endpoint that serves `sets[hit - 1]` (the last set once they run out). */
function serveSets(...sets: JWK[][]) {
  return serve((_req, res, hit) => sendJson(res, { keys: sets[Math.min(hit, sets.length) - 1] }));
}

const verifierFor = (server: TestServer, options: Partial<VerifierOptions> = {}) =>
  createVerifier({ jwksUri: server.url, ...CLAIM_OPTIONS, ...options });

const tokenA = (kid = 'a') => sign(rsaA.privateKey, 'RS256', validClaims(), { kid });
const tokenB = (kid = 'b') => sign(rsaB.privateKey, 'RS256', validClaims(), { kid });

describe('jwksUri: fetching and caching', () => {
  it('does not fetch at start-up, fetches on first use, then serves from the cache', async () => {
    const seen: Array<{ url: string | undefined; accept: string | undefined; method: string | undefined }> = [];
    const server = await serve((req, res) => {
      seen.push({ url: req.url, accept: req.headers.accept, method: req.method });
      sendJson(res, { keys: [jwkA] });
    });
    const verifier = verifierFor(server);
    expect(server.hits).toBe(0);
    for (let i = 0; i < 3; i += 1) {
      await expect(verifier.verify(await tokenA())).resolves.toMatchObject({ header: { kid: 'a', alg: 'RS256' } });
    }
    expect(server.hits).toBe(1);
    expect(seen).toEqual([{ url: '/.well-known/jwks.json', accept: 'application/json, application/jwk-set+json', method: 'GET' }]);
  });

  it('accepts the URL as a URL object', async () => {
    const server = await serveSets([jwkA]);
    const verifier = createVerifier({ jwksUri: new URL(server.url), ...CLAIM_OPTIONS });
    await expect(verifier.verify(await tokenA())).resolves.toBeDefined();
  });

  it('shares one fetch between concurrent verifications', async () => {
    const server = await serve((_req, res) => {
      setTimeout(() => sendJson(res, { keys: [jwkA] }), 100);
    });
    const verifier = verifierFor(server);
    const token = await tokenA();
    const results = await Promise.all(Array.from({ length: 8 }, () => verifier.verify(token)));
    expect(results.map((result) => result.payload.sub)).toEqual(Array(8).fill('user-1'));
    expect(server.hits).toBe(1);
  });

  it('refetches once for an unknown kid (after the cooldown) and finds a rotated key', async () => {
    const server = await serveSets([jwkA], [jwkA, jwkB]);
    const verifier = verifierFor(server, { jwksCooldown: 0 });
    await verifier.verify(await tokenA());
    expect(server.hits).toBe(1);
    await expect(verifier.verify(await tokenB())).resolves.toMatchObject({ header: { kid: 'b' } });
    expect(server.hits).toBe(2);
    await verifier.verify(await tokenB());
    await verifier.verify(await tokenA());
    expect(server.hits).toBe(2);
  });

  it('shares one refetch between concurrent tokens with an unknown kid', async () => {
    const server = await serve((_req, res, hit) => {
      setTimeout(() => sendJson(res, { keys: hit === 1 ? [jwkA] : [jwkA, jwkB] }), 50);
    });
    const verifier = verifierFor(server, { jwksCooldown: 0 });
    await verifier.verify(await tokenA());
    const token = await tokenB();
    await Promise.all(Array.from({ length: 5 }, () => verifier.verify(token)));
    expect(server.hits).toBe(2);
  });

  it('does not refetch for a known kid whose signature fails', async () => {
    const server = await serveSets([jwkA]);
    const verifier = verifierFor(server, { jwksCooldown: 0 });
    await verifier.verify(await tokenA());
    await rejection(verifier.verify(await sign(rsaB.privateKey, 'RS256', validClaims(), { kid: 'a' })), 'signature_invalid');
    expect(server.hits).toBe(1);
  });

  it('limits refetches for unknown kids to one per cooldown, counted from the last refetch an unknown kid caused', async () => {
    const server = await serveSets([jwkA]);
    const verifier = verifierFor(server, { jwksCooldown: 1 });
    await verifier.verify(await tokenA());
    const unknown = await tokenB('x');
    // The first fetch (a known kid's) starts no cooldown: the first unknown kid refetches at once…
    await rejection(verifier.verify(unknown), 'key_not_found', 401);
    expect(server.hits).toBe(2);
    // …and within the cooldown of that refetch: none, however many unknown kids arrive.
    for (let i = 0; i < 3; i += 1) await rejection(verifier.verify(unknown), 'key_not_found', 401);
    expect(server.hits).toBe(2);
    await sleep(1100);
    await rejection(verifier.verify(unknown), 'key_not_found');
    expect(server.hits).toBe(3);
    await rejection(verifier.verify(unknown), 'key_not_found');
    expect(server.hits).toBe(3);
  });

  it('with a long cooldown, an unknown kid refetches once, and not again within the cooldown', async () => {
    const server = await serveSets([jwkA], [jwkA, jwkB]);
    const verifier = verifierFor(server, { jwksCooldown: '1h' });
    await verifier.verify(await tokenA());
    await expect(verifier.verify(await tokenB())).resolves.toMatchObject({ header: { kid: 'b' } });
    expect(server.hits).toBe(2);
    await rejection(verifier.verify(await tokenB('c')), 'key_not_found');
    expect(server.hits).toBe(2);
  });

  it('does not refetch for a token without kid', async () => {
    const server = await serveSets([jwkA]);
    const verifier = verifierFor(server, { jwksCooldown: 0 });
    await verifier.verify(await tokenA());
    await rejection(verifier.verify(await sign(rsaB.privateKey, 'RS256')), 'signature_invalid');
    expect(server.hits).toBe(1);
  });

  it('refreshes in the background once jwksCacheMaxAge has passed, serving the cached keys meanwhile', async () => {
    const server = await serve((_req, res, hit) => {
      setTimeout(() => sendJson(res, { keys: hit === 1 ? [jwkA] : [jwkB] }), hit === 1 ? 0 : 300);
    });
    const verifier = verifierFor(server, { jwksCacheMaxAge: 2, jwksCooldown: 0 });
    const token = await tokenA();
    await verifier.verify(token);
    await verifier.verify(token);
    expect(server.hits).toBe(1);
    // Past 80 % of the keys' lifetime (1.6 s) and before it ends (2 s): the refresh starts in the
    // background and this verification does not wait for it — it still uses the cached key A.
    await sleep(1700);
    const started = Date.now();
    await expect(verifier.verify(token)).resolves.toBeDefined();
    expect(Date.now() - started).toBeLessThan(250); // the 300 ms refresh answer was not awaited
    await sleep(100);
    expect(server.hits).toBe(2);
    await sleep(400);
    await expect(verifier.verify(await tokenB())).resolves.toBeDefined();
    await rejection(verifier.verify(await tokenA()), 'key_not_found');
  });
});

describe('jwksUri: key selection', () => {
  it('applies strict kid semantics to fetched keys', async () => {
    const server = await serveSets([rsaA.publicJwk]);
    const verifier = verifierFor(server, { jwksCooldown: '1h' });
    await expect(verifier.verify(await sign(rsaA.privateKey, 'RS256'))).resolves.toBeDefined();
    await rejection(verifier.verify(await tokenA('a')), 'key_not_found');
  });

  it('without algorithms, an RSA key without JWK alg verifies RS256 only', async () => {
    const server = await serveSets([jwkA]);
    const verifier = verifierFor(server);
    expect(verifier.algorithms).not.toContain('HS256');
    await rejection(verifier.verify(await sign(rsaA.privateKey, 'PS256', validClaims(), { kid: 'a' })), 'key_not_found');
    const explicit = verifierFor(server, { algorithms: ['RS256', 'PS256'] });
    await expect(explicit.verify(await sign(rsaA.privateKey, 'PS256', validClaims(), { kid: 'a' }))).resolves.toBeDefined();
  });

  it('honours the JWK alg of fetched keys', async () => {
    const server = await serveSets([{ ...jwkA, alg: 'PS256' }]);
    const verifier = verifierFor(server);
    await expect(verifier.verify(await sign(rsaA.privateKey, 'PS256', validClaims(), { kid: 'a' }))).resolves.toBeDefined();
    await rejection(verifier.verify(await tokenA()), 'key_not_found');
  });

  it('verifies EC keys by curve', async () => {
    const ec = ecPair('P-256');
    const server = await serveSets([{ ...ec.publicJwk, kid: 'e' }]);
    const verifier = verifierFor(server);
    await expect(verifier.verify(await sign(ec.privateKey, 'ES256', validClaims(), { kid: 'e' }))).resolves.toBeDefined();
  });

  it('skips keys that are refused or not for signatures, keeping the others', async () => {
    const server = await serveSets([
      { ...rsa1024.publicJwk, kid: 'small' },
      { ...rsaB.publicJwk, kid: 'b', use: 'enc' },
      { kty: 'oct', k: Buffer.from(SECRET_32).toString('base64url'), kid: 'h' },
      jwkA,
    ]);
    const verifier = verifierFor(server, { jwksCooldown: '1h' });
    await expect(verifier.verify(await tokenA())).resolves.toBeDefined();
    await rejection(verifier.verify(await tokenB()), 'key_not_found');
    expect(server.hits).toBe(2); // kid b (use: enc) is unknown among the usable keys: its one refetch
    await rejection(verifier.verify(await tokenB()), 'key_not_found');
    expect(server.hits).toBe(2);
  });

  it('skips a fetched key whose alg does not fit it', async () => {
    const server = await serveSets([{ ...jwkA, alg: 'ES256' }]);
    const error = await rejection(verifierFor(server).verify(await tokenA()), 'key_source_unavailable', 503);
    expect(error.hint).toContain('the JWK Set has no usable signature verification key');
  });

  it('never trusts an HMAC secret published in a JWKS (HS256 token is not allowed)', async () => {
    const server = await serveSets([{ kty: 'oct', k: Buffer.from(SECRET_32).toString('base64url'), kid: 'h' }, jwkA]);
    const verifier = verifierFor(server);
    await rejection(verifier.verify(await sign(SECRET_32, 'HS256', validClaims(), { kid: 'h' })), 'algorithm_not_allowed');
    expect(server.hits).toBe(0);
  });
});

describe('jwksUri: endpoint failures', () => {
  it('answers key_source_unavailable (503) when the server is down and no keys are cached', async () => {
    const server = await startServer((_req, res) => sendJson(res, { keys: [jwkA] }));
    const url = server.url;
    await server.close();
    const verifier = createVerifier({ jwksUri: url, ...CLAIM_OPTIONS });
    const error = await rejection(verifier.verify(await tokenA()), 'key_source_unavailable', 503);
    expect(error.message).toBe('The token signing keys are temporarily unavailable.');
    expect(error.hint).toContain(`JWKS ${url}: `);
    expect(error.toJSON()).toEqual({ error: 'key_source_unavailable', error_description: 'The token signing keys are temporarily unavailable.' });
  });

  it.each([
    ['an HTTP error status', (res: ServerResponse) => sendJson(res, { error: 'boom' }, 500), 'HTTP 500'],
    ['invalid JSON', (res: ServerResponse) => sendJson(res, '{"keys": [', 200), 'the response is not JSON'],
    ['JSON that is not a JWK Set', (res: ServerResponse) => sendJson(res, { jwks: [] }), 'the response is not a JWK Set'],
    ['JSON null', (res: ServerResponse) => sendJson(res, 'null'), 'the response is not a JWK Set'],
    [
      'a set with only HMAC secrets',
      (res: ServerResponse) => sendJson(res, { keys: [{ kty: 'oct', k: Buffer.from(SECRET_32).toString('base64url') }] }),
      'no usable signature verification key',
    ],
    ['a redirect', (res: ServerResponse) => { res.writeHead(302, { location: '/elsewhere' }); res.end(); }, 'fetch failed'],
  ])('answers 503 for %s', async (_label, respond, hint) => {
    const server = await serve((_req, res) => respond(res));
    const error = await rejection(verifierFor(server).verify(await tokenA()), 'key_source_unavailable', 503);
    expect(error.hint).toContain(hint);
  });

  it('answers 503 for a response larger than the limit', async () => {
    const big = JSON.stringify({ keys: [jwkA], padding: 'x'.repeat(600 * 1024) });
    const server = await serve((_req, res) => sendJson(res, big));
    const error = await rejection(verifierFor(server).verify(await tokenA()), 'key_source_unavailable', 503);
    expect(error.hint).toContain('the response is larger than 524288 bytes');
  });

  it('answers 503 when the endpoint does not answer within jwksTimeout', async () => {
    const server = await serve(() => {
      // Never answers.
    });
    const verifier = verifierFor(server, { jwksTimeout: 0.2 });
    const started = Date.now();
    const error = await rejection(verifier.verify(await tokenA()), 'key_source_unavailable', 503);
    expect(error.hint).toContain('timeout');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('does not cache a failure: after a backoff, the next request tries again', async () => {
    const server = await serve((_req, res, hit) => (hit === 1 ? sendJson(res, 'oops', 503) : sendJson(res, { keys: [jwkA] })));
    const verifier = verifierFor(server);
    await rejection(verifier.verify(await tokenA()), 'key_source_unavailable', 503);
    // Within the first backoff (1 s) requests fail fast instead of each waiting on a dead endpoint.
    const started = Date.now();
    await rejection(verifier.verify(await tokenA()), 'key_source_unavailable', 503);
    expect(Date.now() - started).toBeLessThan(500);
    expect(server.hits).toBe(1);
    await sleep(1100);
    await expect(verifier.verify(await tokenA())).resolves.toBeDefined();
    expect(server.hits).toBe(2);
  });

  it('keeps the cached keys when a refetch fails: known kids verify, unknown kids are key_not_found', async () => {
    const server = await serve((_req, res, hit) => (hit === 1 ? sendJson(res, { keys: [jwkA] }) : sendJson(res, 'down', 500)));
    const verifier = verifierFor(server, { jwksCooldown: 0 });
    await verifier.verify(await tokenA());
    await rejection(verifier.verify(await tokenB()), 'key_not_found', 401);
    expect(server.hits).toBe(2);
    await expect(verifier.verify(await tokenA())).resolves.toBeDefined();
  });
});

describe('key URLs: https only, except loopback or an explicit opt-in (issue 12, rule 14)', () => {
  it.each([
    ['plain http to a remote host', 'http://idp.example.com/.well-known/jwks.json'],
    ['plain http to a private address', 'http://10.0.0.5/jwks'],
    ['plain http to 0.0.0.0', 'http://0.0.0.0:8080/jwks'],
    ['plain http to a host that only starts with 127', 'http://127.0.0.1.nip.io/jwks'],
    ['plain http to a subdomain of localhost', 'http://idp.localhost.example.com/jwks'],
    ['a file: URL', 'file:///etc/jwks.json'],
    ['a data: URL', 'data:application/json,{"keys":[]}'],
  ])('refuses %s at start-up, saying to use https, without repeating the URL', (_label, jwksUri) => {
    const error = configError(() => createVerifier({ jwksUri: `${jwksUri}${jwksUri.includes('?') ? '&' : '?'}key=s3cr3t`, ...CLAIM_OPTIONS }));
    expect(error.message).toMatch(/jwksUri must be an https: URL.*Use https/);
    expect(error.message).toContain('allowInsecureHttpKeys: true');
    expect(error.message).not.toContain('s3cr3t');
  });

  it.each([
    'https://idp.example.com/.well-known/jwks.json',
    'http://localhost:3000/jwks',
    'http://127.0.0.1:3000/jwks',
    'http://127.1.2.3/jwks',
    'http://127.1/jwks',
    'http://[::1]:3000/jwks',
  ])('accepts %s', (jwksUri) => {
    expect(() => createVerifier({ jwksUri, ...CLAIM_OPTIONS })).not.toThrow();
  });

  it('allowInsecureHttpKeys: true accepts plain http anywhere, and fetches from it', async () => {
    expect(() => createVerifier({ jwksUri: 'http://idp.example.com/jwks', allowInsecureHttpKeys: true, ...CLAIM_OPTIONS })).not.toThrow();
    // 0.0.0.0 is not loopback by name, but Linux connects it to this host: a non-loopback http URL a test can reach.
    const server = await serveSets([jwkA]);
    const offLoopback = server.url.replace('127.0.0.1', '0.0.0.0');
    configError(() => createVerifier({ jwksUri: offLoopback, ...CLAIM_OPTIONS }));
    const verifier = createVerifier({ jwksUri: offLoopback, allowInsecureHttpKeys: true, ...CLAIM_OPTIONS });
    await expect(verifier.verify(await tokenA())).resolves.toBeDefined();
    expect(server.hits).toBe(1);
  });

  it('allowInsecureHttpKeys must be a boolean', () => {
    expect(configError(() => createVerifier({ jwksUri: 'https://idp.example.com/jwks', allowInsecureHttpKeys: 'yes' as never, ...CLAIM_OPTIONS })).message).toMatch(
      /allowInsecureHttpKeys must be true or false/,
    );
  });
});

describe('key URLs in events and hints are redacted (issue 12, rule 13)', () => {
  const API_KEY = 'k3y-0f-th3-1dp-4p1';
  const PASSWORD = 'p4ssw0rd-0f-th3-1dp';

  it('a jwksUri with a user name or password is refused at start-up (fetch would refuse it, quoting it)', () => {
    const error = configError(() => createVerifier({ jwksUri: `https://jwks-user:${PASSWORD}@idp.example.com/jwks`, ...CLAIM_OPTIONS }));
    expect(error.message).toMatch(/jwksUri has a user name or password in it/);
    expect(error.message).not.toContain(PASSWORD);
  });

  it('query values never reach key events or the key_source_unavailable hint', async () => {
    const events: unknown[] = [];
    let failing = false;
    const server = await serve((_req, res) => (failing ? sendJson(res, 'down', 500) : sendJson(res, { keys: [jwkA] })));
    const { port } = new URL(server.url);
    const jwksUri = `http://127.0.0.1:${port}/.well-known/jwks.json?api_key=${API_KEY}&tenant=a#frag`;
    const verifier = createVerifier({ jwksUri, jwksCooldown: 0, jwksStaleIfError: 0, jwksCacheMaxAge: 1, ...CLAIM_OPTIONS, onKeyEvent: (event) => void events.push(event) });
    await expect(verifier.verify(await tokenA())).resolves.toBeDefined();
    await rejection(verifier.verify(await tokenB()), 'key_not_found', 401);
    failing = true;
    await sleep(1100);
    const error = await rejection(verifier.verify(await tokenA()), 'key_source_unavailable', 503);

    const redacted = `http://127.0.0.1:${port}/.well-known/jwks.json?api_key=redacted&tenant=redacted`;
    expect(error.hint).toBe(`JWKS ${redacted}: HTTP 500`);
    expect(events.map((event) => (event as { url: string }).url)).toEqual([redacted, redacted, redacted, redacted]);
    const everything = JSON.stringify([error.message, error.hint, events]);
    for (const secret of [API_KEY, 'frag']) expect(everything).not.toContain(secret);
  });

  it('a URL without credentials is reported exactly as configured', async () => {
    const events: Array<{ url: string }> = [];
    const server = await serveSets([jwkA]);
    const verifier = createVerifier({ jwksUri: server.url, ...CLAIM_OPTIONS, onKeyEvent: (event) => void events.push(event) });
    await verifier.verify(await tokenA());
    expect(events.map((event) => event.url)).toEqual([server.url]);
  });
});
