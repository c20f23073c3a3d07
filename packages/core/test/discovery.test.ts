/**
 * `discovery: true`: the JWKS URL comes from the issuer's metadata, served here by a real HTTP
 * server on 127.0.0.1 whose issuer has a path (`http://127.0.0.1:PORT/tenant-a`): OpenID Connect
 * Discovery first, RFC 8414 when that is missing; the document's `issuer` must match exactly;
 * the document is read once and a failed read is retried after a backoff.
 */
import type { JWK } from 'jose';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, DiscoveryFetchError, fetchDiscoveryDocument, HttpStatusError, type VerifierOptions } from '@jwt-guard/core';
import {
  AUDIENCE,
  configError,
  JWKS_PATH,
  keyEventLog,
  movableClock,
  rejection,
  rsaPair,
  SECRET_32,
  sendJson,
  sign,
  sleep,
  startJwksEndpoint,
  validClaims,
  type JwksEndpoint,
  type RsaPair,
} from './helpers.js';

const OIDC_PATH = '/tenant-a/.well-known/openid-configuration';
const RFC8414_PATH = '/.well-known/oauth-authorization-server/tenant-a';
const UNAVAILABLE = 'The token signing keys are temporarily unavailable.';

let rsaA: RsaPair;
let rsaB: RsaPair;
let jwkA: JWK;
let jwkB: JWK;

beforeAll(() => {
  rsaA = rsaPair();
  rsaB = rsaPair();
  jwkA = { ...rsaA.publicJwk, kid: 'a', use: 'sig' };
  jwkB = { ...rsaB.publicJwk, kid: 'b', use: 'sig' };
});

const endpoints: JwksEndpoint[] = [];
let clock: ReturnType<typeof movableClock> | undefined;

afterEach(async () => {
  clock?.restore();
  clock = undefined;
  await Promise.all(endpoints.splice(0).map((endpoint) => endpoint.close()));
});

function useClock(): ReturnType<typeof movableClock> {
  clock = movableClock();
  return clock;
}

interface Idp {
  server: JwksEndpoint;
  /** `http://127.0.0.1:PORT/tenant-a` */
  issuer: string;
  /** The metadata document for `issuer`, pointing at the server's JWKS. */
  metadata: Record<string, unknown>;
}

/** An identity provider at `/tenant-a`. By default it serves only the OpenID document. */
async function idp(where: 'openid' | 'rfc8414' | 'none' = 'openid'): Promise<Idp> {
  const server = await startJwksEndpoint([jwkA]);
  endpoints.push(server);
  const issuer = `${server.origin}/tenant-a`;
  const metadata = { issuer, jwks_uri: server.url, token_endpoint: `${issuer}/token` };
  if (where === 'openid') server.routes.set(OIDC_PATH, (res) => sendJson(res, metadata));
  if (where === 'rfc8414') server.routes.set(RFC8414_PATH, (res) => sendJson(res, metadata));
  return { server, issuer, metadata };
}

const verifierFor = (issuer: string, options: Partial<VerifierOptions> = {}) =>
  createVerifier({ discovery: true, issuer, audience: AUDIENCE, ...options });

const tokenFor = (issuer: string, kid = 'a') => sign(rsaA.privateKey, 'RS256', validClaims({ iss: issuer }), { kid });

describe('discovery: finding the JWKS', () => {
  it('reads <issuer>/.well-known/openid-configuration and verifies with its jwks_uri', async () => {
    const events = keyEventLog();
    const { server, issuer } = await idp();
    const verifier = verifierFor(issuer, { onKeyEvent: events.onKeyEvent });
    expect(server.hits).toBe(0);
    await expect(verifier.verify(await tokenFor(issuer))).resolves.toMatchObject({ payload: { iss: issuer } });
    expect(server.hitsOn(OIDC_PATH)).toBe(1);
    expect(server.hitsOn(RFC8414_PATH)).toBe(0);
    expect(server.hitsOn(JWKS_PATH)).toBe(1);
    expect(events.events).toEqual([
      { type: 'discovery_fetched', url: `${server.origin}${OIDC_PATH}`, jwksUri: server.url, durationMs: expect.any(Number) },
      { type: 'keys_fetched', url: server.url, keyCount: 1, durationMs: expect.any(Number) },
    ]);
  });

  it('falls back to /.well-known/oauth-authorization-server/tenant-a (RFC 8414) when the OpenID document is 404', async () => {
    const events = keyEventLog();
    const { server, issuer } = await idp('rfc8414');
    const verifier = verifierFor(issuer, { onKeyEvent: events.onKeyEvent });
    await expect(verifier.verify(await tokenFor(issuer))).resolves.toBeDefined();
    expect(server.hitsOn(OIDC_PATH)).toBe(1);
    expect(server.hitsOn(RFC8414_PATH)).toBe(1);
    expect(server.hitsOn(JWKS_PATH)).toBe(1);
    expect(events.of('discovery_fetched')).toEqual([
      { type: 'discovery_fetched', url: `${server.origin}${RFC8414_PATH}`, jwksUri: server.url, durationMs: expect.any(Number) },
    ]);
  });

  it.each([
    ['without a path', ''],
    ['with a trailing slash', '/'],
  ])('an issuer %s: the well-known documents sit at the root', async (_label, suffix) => {
    const { server } = await idp('none');
    const issuer = `${server.origin}${suffix}`;
    server.routes.set('/.well-known/oauth-authorization-server', (res) => sendJson(res, { issuer, jwks_uri: server.url }));
    const verifier = verifierFor(issuer);
    await expect(verifier.verify(await tokenFor(issuer))).resolves.toBeDefined();
    expect(server.hitsOn('/.well-known/openid-configuration')).toBe(1);
    expect(server.hitsOn('/.well-known/oauth-authorization-server')).toBe(1);
    expect(server.hitsOn(JWKS_PATH)).toBe(1);
  });

  it('the issuer configured with a trailing slash reads the same locations and must be named with its slash', async () => {
    const { server, issuer } = await idp('none');
    const slashed = `${issuer}/`;
    server.routes.set(OIDC_PATH, (res) => sendJson(res, { issuer: slashed, jwks_uri: server.url }));
    await expect(verifierFor(slashed).verify(await tokenFor(slashed))).resolves.toBeDefined();
    expect(server.hitsOn(OIDC_PATH)).toBe(1);
  });

  it('reads the document once: simultaneous first requests share it, and refreshes and rotations reuse it', async () => {
    const clock = useClock();
    const { server, issuer } = await idp();
    server.delayMs = 100;
    const events = keyEventLog();
    const verifier = verifierFor(issuer, { jwksCacheMaxAge: 10, jwksCooldown: 1, onKeyEvent: events.onKeyEvent });
    const token = await tokenFor(issuer);
    await Promise.all(Array.from({ length: 20 }, () => verifier.verify(token)));
    expect(server.hitsOn(OIDC_PATH)).toBe(1);
    expect(server.hitsOn(JWKS_PATH)).toBe(1);
    server.delayMs = 0;

    // The keys expire: the expired keys answer at once while the JWKS is fetched again in the background; the metadata is not.
    clock.advance(11_000);
    const refreshed = events.next('keys_fetched');
    await verifier.verify(token);
    await refreshed;
    expect(server.hitsOn(JWKS_PATH)).toBe(2);
    // A rotation (unknown kid after the cooldown): again only the JWKS.
    server.keys = [jwkA, jwkB];
    clock.advance(2_000);
    await expect(verifier.verify(await sign(rsaB.privateKey, 'RS256', validClaims({ iss: issuer }), { kid: 'b' }))).resolves.toBeDefined();
    expect(server.hitsOn(JWKS_PATH)).toBe(3);
    // The JWKS fails (past its lifetime and the hour of stale-if-error): its own error; the metadata is still not read again.
    server.fail = (res) => sendJson(res, 'down', 500);
    clock.advance(2 * 3_600_000);
    const error = await rejection(verifier.verify(token), 'key_source_unavailable', 503);
    expect(error.hint).toBe(`JWKS ${server.url}: HTTP 500`);
    expect(server.hitsOn(JWKS_PATH)).toBe(4);
    expect(server.hitsOn(OIDC_PATH)).toBe(1);
  });

  it('ready() resolves once the document and the keys are fetched; warmUp fetches both at creation', async () => {
    const { server, issuer } = await idp();
    await verifierFor(issuer).ready();
    expect(server.hitsOn(OIDC_PATH)).toBe(1);
    expect(server.hitsOn(JWKS_PATH)).toBe(1);

    const events = keyEventLog();
    const warm = verifierFor(issuer, { warmUp: true, onKeyEvent: events.onKeyEvent });
    await events.next('keys_fetched');
    expect(server.hitsOn(OIDC_PATH)).toBe(2);
    expect(server.hitsOn(JWKS_PATH)).toBe(2);
    await warm.verify(await tokenFor(issuer));
    await warm.ready();
    expect(server.hits).toBe(4);
  });

  it('verifies only its issuer: a token from another issuer is issuer_mismatch', async () => {
    const { issuer } = await idp();
    const verifier = verifierFor(issuer);
    await rejection(verifier.verify(await tokenFor(`${issuer}-evil`)), 'issuer_mismatch', 401);
    await expect(verifier.verify(await tokenFor(issuer))).resolves.toBeDefined();
  });
});

describe('discovery: the metadata must name the configured issuer exactly', () => {
  it.each<[string, (idp: Idp) => unknown, string]>([
    ['with a trailing slash added', ({ issuer }) => `${issuer}/`, ''],
    ['on another host', ({ issuer }) => issuer.replace('127.0.0.1', 'localhost'), ''],
    ['of another tenant', ({ server }) => `${server.origin}/tenant-b`, ''],
    ['in another case', ({ issuer }) => issuer.replace('tenant-a', 'Tenant-A'), ''],
    ['absent', () => undefined, 'undefined'],
    ['not a string', () => 42, '42'],
  ])('an issuer %s → 503, an issuer_mismatch event, and no JWKS fetch', async (_label, named, printed) => {
    const events = keyEventLog();
    const context = await idp('none');
    const { server, issuer } = context;
    const found = named(context);
    server.routes.set(OIDC_PATH, (res) => sendJson(res, { issuer: found, jwks_uri: server.url }));
    const verifier = verifierFor(issuer, { onKeyEvent: events.onKeyEvent });
    const token = await tokenFor(issuer);

    const error = await rejection(verifier.verify(token), 'key_source_unavailable', 503);
    const shown = printed || String(found);
    expect(error.message).toBe(UNAVAILABLE);
    const cause =
      typeof found === 'string'
        ? `the discovery document names the issuer "${shown}", not "${issuer}"; set issuer to exactly "${shown}" (copy it from the discovery document; a trailing slash counts)`
        : `the discovery document has no issuer string (issuer ${found === undefined ? 'absent' : shown}), so it cannot be checked against "${issuer}"; check that issuer is the identity provider's issuer URL`;
    expect(error.hint).toBe(`discovery for ${issuer}: ${cause}`);
    expect(events.events).toEqual([
      { type: 'issuer_mismatch', url: `${server.origin}${OIDC_PATH}`, expected: issuer, found: shown },
      { type: 'discovery_failed', url: `${server.origin}${OIDC_PATH}`, reason: error.hint!.replace(`discovery for ${issuer}: `, '') },
    ]);
    // A mismatch is not a missing document: no RFC 8414 attempt, and never a JWKS fetch.
    expect(server.hitsOn(RFC8414_PATH)).toBe(0);
    expect(server.hitsOn(JWKS_PATH)).toBe(0);
    await rejection(verifier.verify(token), 'key_source_unavailable', 503);
    // Start-up is read by a developer: ready() names the cause in its message, not only in the hint.
    const atStart = await rejection(verifier.ready(), 'key_source_unavailable', 503);
    expect(atStart.message).toBe(`The token signing keys could not be loaded: discovery for ${issuer}: ${cause}.`);
    expect(atStart.hint).toBe(error.hint);
    expect(server.hitsOn(JWKS_PATH)).toBe(0);
    expect(server.hitsOn(OIDC_PATH)).toBe(1);
  });

  it('the same holds for the RFC 8414 document', async () => {
    const events = keyEventLog();
    const { server, issuer } = await idp('none');
    server.routes.set(RFC8414_PATH, (res) => sendJson(res, { issuer: `${issuer}/`, jwks_uri: server.url }));
    const verifier = verifierFor(issuer, { onKeyEvent: events.onKeyEvent });
    await rejection(verifier.verify(await tokenFor(issuer)), 'key_source_unavailable', 503);
    expect(events.of('issuer_mismatch')).toEqual([
      { type: 'issuer_mismatch', url: `${server.origin}${RFC8414_PATH}`, expected: issuer, found: `${issuer}/` },
    ]);
    expect(server.hitsOn(JWKS_PATH)).toBe(0);
  });

  it('cuts a long issuer in the event to 200 characters', async () => {
    const events = keyEventLog();
    const { server, issuer } = await idp('none');
    server.routes.set(OIDC_PATH, (res) => sendJson(res, { issuer: `${issuer}/${'x'.repeat(1000)}`, jwks_uri: server.url }));
    await rejection(verifierFor(issuer, { onKeyEvent: events.onKeyEvent }).ready(), 'key_source_unavailable', 503);
    expect(events.of('issuer_mismatch')[0]!.found).toHaveLength(200);
  });
});

describe('discovery: failures', () => {
  it.each<[string, (idp: Idp) => Promise<void> | void, Partial<VerifierOptions>, string]>([
    ['neither document exists', ({ server }) => void server.routes.delete(OIDC_PATH), {}, 'HTTP 404'],
    ['the OpenID document answers 500 (no RFC 8414 fallback)', ({ server }) => void server.routes.set(OIDC_PATH, (res) => sendJson(res, 'down', 500)), {}, 'HTTP 500'],
    ['the server refuses connections', ({ server }) => server.close(), {}, 'fetch failed (ECONNREFUSED)'],
    [
      'the document does not come within jwksTimeout',
      ({ server }) => void server.routes.set(OIDC_PATH, () => undefined),
      { jwksTimeout: 0.2 },
      'timeout: no answer within jwksTimeout',
    ],
    ['the document is not JSON', ({ server }) => void server.routes.set(OIDC_PATH, (res) => sendJson(res, '<html>')), {}, 'the response is not JSON'],
    [
      'the document is larger than jwksMaxBytes',
      ({ server, metadata }) => void server.routes.set(OIDC_PATH, (res) => sendJson(res, { ...metadata, padding: 'x'.repeat(4096) })),
      { jwksMaxBytes: 2048 },
      'the response is larger than 2048 bytes',
    ],
    [
      'the document has no jwks_uri',
      ({ server, issuer }) => void server.routes.set(OIDC_PATH, (res) => sendJson(res, { issuer })),
      {},
      'the discovery document has no jwks_uri',
    ],
    [
      'jwks_uri is not a URL',
      ({ server, issuer }) => void server.routes.set(OIDC_PATH, (res) => sendJson(res, { issuer, jwks_uri: 'not a url' })),
      {},
      'the discovery document has a jwks_uri that is not a URL',
    ],
    [
      'jwks_uri is neither https nor http',
      ({ server, issuer }) => void server.routes.set(OIDC_PATH, (res) => sendJson(res, { issuer, jwks_uri: 'file:///etc/passwd' })),
      { allowInsecureHttpKeys: true },
      "the discovery document's jwks_uri (file:///etc/passwd) is refused: it is a file: URL",
    ],
    [
      'jwks_uri is plain http off the loopback interface (the issuer being on loopback does not make it so)',
      ({ server, issuer }) => void server.routes.set(OIDC_PATH, (res) => sendJson(res, { issuer, jwks_uri: 'http://idp.example.com/jwks?api_key=s3cr3t-k3y' })),
      {},
      "the discovery document's jwks_uri (http://idp.example.com/jwks?api_key=redacted) is refused: it is a plain http: URL off the loopback interface",
    ],
  ])('%s → 503 with a hint naming the issuer and the reason', async (_label, breakIt, options, reason) => {
    const events = keyEventLog();
    const context = await idp('openid');
    await breakIt(context);
    const { server, issuer } = context;
    const verifier = verifierFor(issuer, { onKeyEvent: events.onKeyEvent, ...options });
    const token = await tokenFor(issuer);
    const error = await rejection(verifier.verify(token), 'key_source_unavailable', 503);
    expect(error.message).toBe(UNAVAILABLE);
    expect(error.hint).toContain(`discovery for ${issuer}: ${reason}`);
    expect(JSON.stringify([error.message, error.hint, events.events])).not.toContain(token.split('.')[1]!);
    expect(events.of('discovery_failed')).toEqual([
      { type: 'discovery_failed', url: `${server.origin}${OIDC_PATH}`, reason: expect.stringContaining(reason) },
    ]);
    expect(server.hitsOn(JWKS_PATH)).toBe(0);
  });

  it('a failed read is not cached: retried after 1 s, then 2 s of backoff, failing fast meanwhile', async () => {
    const clock = useClock();
    const events = keyEventLog();
    const { server, issuer, metadata } = await idp('none');
    server.routes.set(OIDC_PATH, (res) => sendJson(res, 'down', 503));
    const verifier = verifierFor(issuer, { onKeyEvent: events.onKeyEvent });
    const token = await tokenFor(issuer);

    await rejection(verifier.verify(token), 'key_source_unavailable', 503);
    expect(server.hitsOn(OIDC_PATH)).toBe(1);
    clock.advance(600);
    const started = performance.now();
    const fast = await rejection(verifier.verify(token), 'key_source_unavailable', 503);
    expect(performance.now() - started).toBeLessThan(250);
    expect(fast.hint).toBe(`discovery for ${issuer}: HTTP 503`);
    expect(server.hitsOn(OIDC_PATH)).toBe(1);

    clock.advance(500);
    await rejection(verifier.verify(token), 'key_source_unavailable', 503);
    expect(server.hitsOn(OIDC_PATH)).toBe(2);
    clock.advance(1_600);
    await rejection(verifier.ready(), 'key_source_unavailable', 503);
    expect(server.hitsOn(OIDC_PATH)).toBe(2);

    server.routes.set(OIDC_PATH, (res) => sendJson(res, metadata));
    clock.advance(500);
    await expect(verifier.verify(token)).resolves.toBeDefined();
    expect(server.hitsOn(OIDC_PATH)).toBe(3);
    expect(server.hitsOn(JWKS_PATH)).toBe(1);
    expect(events.of('discovery_failed')).toHaveLength(2);
    expect(events.of('discovery_fetched')).toHaveLength(1);
  });

  it('a failed read is retried in real time too, sharing one attempt between simultaneous requests', async () => {
    const { server, issuer, metadata } = await idp('none');
    server.delayMs = 50;
    server.routes.set(OIDC_PATH, (res) => sendJson(res, 'down', 500));
    const verifier = verifierFor(issuer);
    const token = await tokenFor(issuer);
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => verifier.verify(token)));
    expect(outcomes.every((outcome) => outcome.status === 'rejected')).toBe(true);
    expect(server.hitsOn(OIDC_PATH)).toBe(1);
    server.routes.set(OIDC_PATH, (res) => sendJson(res, metadata));
    await sleep(1_100);
    await expect(verifier.verify(token)).resolves.toBeDefined();
    expect(server.hitsOn(OIDC_PATH)).toBe(2);
  });
});

describe('discovery: configuration', () => {
  const issuer = 'https://idp.example.com/tenant-a';

  it.each<[string, Partial<VerifierOptions>, RegExp]>([
    ['without issuer', { issuer: undefined }, /discovery needs issuer/],
    ['with issuer: false', { issuer: false }, /discovery needs issuer/],
    ['with an array of issuers', { issuer: [issuer, `${issuer}-b`] }, /discovery needs issuer/],
    ['together with jwksUri', { jwksUri: 'https://idp.example.com/jwks' }, /jwksUri and discovery are both set/],
    ['together with a secret', { secret: SECRET_32 }, /secret and discovery are both set/],
    ['with a non-boolean value', { discovery: 'yes' as never }, /discovery must be true or false/],
    ['with an issuer that is not a URL', { issuer: 'tenant-a' }, /issuer is not a valid URL/],
    ['with an issuer that is not http(s)', { issuer: 'ftp://idp.example.com/' }, /issuer must be an https: URL/],
    ['with a plain http issuer off the loopback interface', { issuer: 'http://idp.example.com/tenant-a' }, /issuer must be an https: URL.*allowInsecureHttpKeys: true/],
    ['with an HMAC algorithm', { algorithms: ['HS256'] }, /HMAC algorithm with public keys/],
  ])('refuses discovery %s', (_label, options, message) => {
    const error = configError(() => createVerifier({ discovery: true, issuer, audience: AUDIENCE, ...options }));
    expect(error.message).toMatch(message);
  });

  it('allowInsecureHttpKeys: true accepts a plain http issuer and a plain http jwks_uri off the loopback interface', async () => {
    expect(() => createVerifier({ discovery: true, issuer: 'http://idp.example.com/tenant-a', audience: AUDIENCE, allowInsecureHttpKeys: true })).not.toThrow();
    const { server, issuer } = await idp();
    // 0.0.0.0 is not loopback by name, but Linux connects it to this host: a non-loopback http URL a test can reach.
    const offLoopback = server.url.replace('127.0.0.1', '0.0.0.0');
    server.routes.set(OIDC_PATH, (res) => sendJson(res, { issuer, jwks_uri: offLoopback }));
    const token = await tokenFor(issuer);
    const refused = await rejection(verifierFor(issuer).verify(token), 'key_source_unavailable', 503);
    expect(refused.hint).toContain('is refused: it is a plain http: URL off the loopback interface');
    await expect(verifierFor(issuer, { allowInsecureHttpKeys: true }).verify(token)).resolves.toBeDefined();
    expect(server.hitsOn(JWKS_PATH)).toBe(1);
  });

  it('a discovered jwks_uri with credentials and an API key: refused by fetch, and neither reaches the hint or the events', async () => {
    const events = keyEventLog();
    const { server, issuer } = await idp();
    server.routes.set(OIDC_PATH, (res) => sendJson(res, { issuer, jwks_uri: `http://jwks-user:p4ssw0rd@127.0.0.1:${new URL(server.url).port}${JWKS_PATH}?key=4p1-k3y` }));
    const verifier = verifierFor(issuer, { onKeyEvent: events.onKeyEvent });
    const error = await rejection(verifier.verify(await tokenFor(issuer)), 'key_source_unavailable', 503);
    expect(events.of('discovery_fetched')[0]!.jwksUri).toBe(`http://127.0.0.1:${new URL(server.url).port}${JWKS_PATH}?key=redacted`);
    const everything = JSON.stringify([error.message, error.hint, events.events]);
    expect(everything).toContain('credentials');
    for (const secret of ['p4ssw0rd', 'jwks-user', '4p1-k3y']) expect(everything).not.toContain(secret);
  });

  it('discovery: false is no key source', () => {
    const error = configError(() => createVerifier({ discovery: false, issuer, audience: AUDIENCE }));
    expect(error.message).toMatch(/no key source/);
    expect(createVerifier({ discovery: false, secret: SECRET_32, issuer, audience: AUDIENCE }).algorithms).toEqual(['HS256']);
  });

  it('creating a verifier fetches nothing, and an HS256 token is refused before any fetch', async () => {
    const { server, issuer: local } = await idp();
    const verifier = verifierFor(local);
    expect(verifier.algorithms).not.toContain('HS256');
    await rejection(verifier.verify(await sign(SECRET_32, 'HS256', validClaims({ iss: local }))), 'algorithm_not_allowed', 401);
    expect(server.hits).toBe(0);
  });
});

describe('fetchDiscoveryDocument: the one reading of the metadata document (the verifier and `jwt-guard audit`)', () => {
  const limits = { timeoutMs: 2000, maxBytes: 64 * 1024 };

  it('returns the OpenID document and its URL, unchecked (the caller checks issuer and jwks_uri)', async () => {
    const { server, issuer } = await idp('none');
    server.routes.set(OIDC_PATH, (res) => sendJson(res, { issuer: 'https://someone-else.example' }));
    const { url, body } = await fetchDiscoveryDocument(issuer, limits);
    expect(url.href).toBe(`${server.origin}${OIDC_PATH}`);
    expect(body).toEqual({ issuer: 'https://someone-else.example' });
    expect(server.hitsOn(RFC8414_PATH)).toBe(0);
  });

  it('reads the RFC 8414 location only after a 404, and names it', async () => {
    const { server, issuer, metadata } = await idp('rfc8414');
    const { url, body } = await fetchDiscoveryDocument(issuer, limits);
    expect(url.href).toBe(`${server.origin}${RFC8414_PATH}`);
    expect(body).toEqual(metadata);
  });

  it('any other failure of the OpenID document stops there: the error names that URL and keeps the cause', async () => {
    const { server, issuer } = await idp('rfc8414');
    server.routes.set(OIDC_PATH, (res) => sendJson(res, { error: 'boom' }, 500));
    const failure = await fetchDiscoveryDocument(issuer, limits).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DiscoveryFetchError);
    expect((failure as DiscoveryFetchError).url.href).toBe(`${server.origin}${OIDC_PATH}`);
    expect((failure as DiscoveryFetchError).cause).toBeInstanceOf(HttpStatusError);
    expect((failure as DiscoveryFetchError).message).toBe('HTTP 500');
    expect(server.hitsOn(RFC8414_PATH)).toBe(0);
  });

  it('both missing: the error names the RFC 8414 URL, the last one tried', async () => {
    const { server, issuer } = await idp('none');
    const failure = (await fetchDiscoveryDocument(issuer, limits).catch((error: unknown) => error)) as DiscoveryFetchError;
    expect(failure.url.href).toBe(`${server.origin}${RFC8414_PATH}`);
    expect((failure.cause as HttpStatusError).status).toBe(404);
  });

  it('an issuer that is not a URL is a TypeError, not a failed fetch', async () => {
    await expect(fetchDiscoveryDocument('not a url', limits)).rejects.toBeInstanceOf(TypeError);
  });
});
