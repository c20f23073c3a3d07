import { request } from 'node:http';
import { createVerifier } from '@jwt-guard/core';
import { createTestIssuer, generateTestKeys, mintToken, serveJwks, type JwksServer, type TestKeys } from '@jwt-guard/testing';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

const issuer = 'https://issuer.jwt-guard.test/';
const audience = 'https://api.jwt-guard.test';

let keys: TestKeys;
let servers: JwksServer[] = [];

beforeAll(async () => {
  keys = await generateTestKeys('ES256');
});

afterEach(async () => {
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
});

async function start(options?: Parameters<typeof serveJwks>[1]): Promise<JwksServer> {
  const server = await serveJwks([keys.jwk], options);
  servers.push(server);
  return server;
}

/** TCP handles (servers and sockets) this process holds: what would keep it alive. */
function tcpHandles(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'TCPServerWrap' || name === 'TCPSocketWrap').length;
}

async function eventually(check: () => boolean, ms = 2000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

describe('serveJwks', () => {
  it('serves { keys } on 127.0.0.1 at /.well-known/jwks.json and 404 elsewhere', async () => {
    const server = await start();
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\.well-known\/jwks\.json$/);
    expect(server.url.startsWith(server.origin)).toBe(true);
    const response = await fetch(server.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('cache-control')).toBeNull();
    expect(await response.json()).toEqual({ keys: [keys.jwk] });
    expect((await fetch(`${server.origin}/other`)).status).toBe(404);
    expect((await fetch(`${server.url}?x=1`)).status).toBe(200);
    expect((await fetch(server.url, { method: 'POST' })).status).toBe(405);
  });

  it('sends the cacheControl header when asked', async () => {
    const server = await start({ cacheControl: 'max-age=600' });
    expect((await fetch(server.url)).headers.get('cache-control')).toBe('max-age=600');
  });

  it('requestCount() counts requests to the JWKS path, failed ones included', async () => {
    const server = await start();
    expect(server.requestCount()).toBe(0);
    await fetch(server.url);
    await fetch(server.url);
    await fetch(`${server.origin}/favicon.ico`);
    expect(server.requestCount()).toBe(2);
    server.fail(500);
    await fetch(server.url);
    expect(server.requestCount()).toBe(3);
  });

  it('fail(503) answers 503 until fail(undefined)', async () => {
    const server = await start();
    server.fail(503);
    expect((await fetch(server.url)).status).toBe(503);
    expect((await fetch(server.url)).status).toBe(503);
    server.fail(undefined);
    expect((await fetch(server.url)).status).toBe(200);
    expect(server.requestCount()).toBe(3);
  });

  it("fail('close') drops the connection without an answer", async () => {
    const server = await start();
    server.fail('close');
    await expect(fetch(server.url)).rejects.toThrow();
    expect(server.requestCount()).toBe(1);
  });

  it('fail() refuses nonsense', async () => {
    const server = await start();
    expect(() => server.fail(42)).toThrow(RangeError);
    expect(() => server.fail('boom' as 'hang')).toThrow(RangeError);
  });

  it('setKeys() replaces the served keys', async () => {
    const server = await start();
    const other = await generateTestKeys('EdDSA');
    server.setKeys([keys.jwk, other.jwk]);
    expect(await (await fetch(server.url)).json()).toEqual({ keys: [keys.jwk, other.jwk] });
  });

  it('listens on the requested port', async () => {
    const probe = await start();
    const port = Number(new URL(probe.origin).port);
    await probe.close();
    const server = await start({ port });
    expect(server.origin).toBe(`http://127.0.0.1:${port}`);
    expect((await fetch(server.url)).status).toBe(200);
  });
});

describe('serveJwks with the real jwksUri verifier', () => {
  it('the verifier fetches the JWKS once, and reports the endpoint down on 503', async () => {
    const server = await start();
    const token = await mintToken(keys, {}, { issuer, audience });

    const verifier = createVerifier({ jwksUri: server.url, issuer, audience });
    await verifier.verify(token);
    await verifier.verify(token);
    expect(server.requestCount()).toBe(1);

    const down = createVerifier({ jwksUri: server.url, issuer, audience });
    server.fail(503);
    await expect(down.verify(token)).rejects.toMatchObject({ code: 'key_source_unavailable' });
    expect(server.requestCount()).toBe(2);
    server.fail(undefined);
    // A failure is not cached, but retries back off: 1 s after the first failure, the next request refetches.
    await expect(down.verify(token)).rejects.toMatchObject({ code: 'key_source_unavailable' });
    expect(server.requestCount()).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await expect(down.verify(token)).resolves.toBeDefined();
    expect(server.requestCount()).toBe(3);
  });

  it("a hanging endpoint times out in the verifier (fail('hang'))", async () => {
    const server = await start();
    server.fail('hang');
    const verifier = createVerifier({ jwksUri: server.url, issuer, audience, jwksTimeout: 0.2 });
    await expect(verifier.verify(await mintToken(keys, {}, { issuer, audience }))).rejects.toMatchObject({
      code: 'key_source_unavailable',
    });
    expect(server.requestCount()).toBe(1);
  });

  it('rotation: setKeys() with a new key is picked up on an unknown kid', async () => {
    const server = await start();
    const verifier = createVerifier({ jwksUri: server.url, issuer, audience, jwksCooldown: 0 });
    await verifier.verify(await mintToken(keys, {}, { issuer, audience }));
    const next = await generateTestKeys('ES256');
    server.setKeys([keys.jwk, next.jwk]);
    await expect(verifier.verify(await mintToken(next, {}, { issuer, audience }))).resolves.toBeDefined();
    expect(server.requestCount()).toBe(2);
  });
});

describe('close()', () => {
  it('leaves no open TCP handle, even with keep-alive and hung requests', async () => {
    // Sockets of earlier tests' closed servers may take a moment to go.
    expect(await eventually(() => tcpHandles() === 0)).toBe(true);
    const server = await serveJwks([keys.jwk]);
    await fetch(server.url); // undici keeps this connection alive
    server.fail('hang');
    // A raw request that the server never answers.
    const hung = new Promise<string>((resolve) => {
      const req = request(server.url, () => resolve('answered'));
      req.on('error', (error) => resolve(`error: ${error.message}`));
      req.end();
    });
    const hungFetch = fetch(server.url).then(
      () => 'answered',
      () => 'error',
    );
    expect(await eventually(() => server.requestCount() === 3)).toBe(true);
    expect(tcpHandles()).toBeGreaterThanOrEqual(4); // the server, and three connections

    await server.close();
    expect(await hung).toMatch(/^error/);
    expect(await hungFetch).toBe('error');
    expect(await eventually(() => tcpHandles() === 0)).toBe(true);
    await server.close(); // idempotent
  });

  it('a closed issuer leaves no open TCP handle', async () => {
    expect(await eventually(() => tcpHandles() === 0)).toBe(true);
    const testIssuer = await createTestIssuer({ algorithm: 'ES256' });
    const verifier = createVerifier(testIssuer.verifierOptions({ source: 'jwksUri' }));
    await verifier.verify(await testIssuer.sign());
    expect(tcpHandles()).toBeGreaterThan(0);
    await testIssuer.close();
    expect(await eventually(() => tcpHandles() === 0)).toBe(true);
  });
});
