/**
 * A remote JWKS (`jwksUri`) against a real HTTP server on 127.0.0.1 that a test rotates, slows
 * down or breaks: key lifetimes, background refresh, unknown kids, failures and backoff,
 * stale-if-error, warm-up and ready(), key events and key filtering. Fetch counts are exact.
 *
 * Where a behaviour spans minutes (the 10-minute default lifetime, a 60 s backoff, an hour of
 * grace), `movableClock()` moves `Date.now()` forward instead of sleeping; the server, its delays
 * and the timeouts keep real time. The other tests use short real durations.
 */
import { gzipSync } from 'node:zlib';
import type { ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import type { JWK } from 'jose';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createVerifier, type KeyEvent, type VerifierOptions } from '@jwt-guard/core';
import {
  CLAIM_OPTIONS,
  JWKS_PATH,
  keyEventLog,
  movableClock,
  rawToken,
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

const endpoints: JwksEndpoint[] = [];
let clock: ReturnType<typeof movableClock> | undefined;

afterEach(async () => {
  clock?.restore();
  clock = undefined;
  await Promise.all(endpoints.splice(0).map((endpoint) => endpoint.close()));
});

async function endpoint(keys: JWK[] = [jwkA]): Promise<JwksEndpoint> {
  const started = await startJwksEndpoint(keys);
  endpoints.push(started);
  return started;
}

/** Moves Date.now() from now on; create the verifier after calling this. */
function useClock(): ReturnType<typeof movableClock> {
  clock = movableClock();
  return clock;
}

const verifierFor = (server: JwksEndpoint, options: Partial<VerifierOptions> = {}) =>
  createVerifier({ jwksUri: server.url, ...CLAIM_OPTIONS, ...options });

// These tests move the clock by up to two hours; the tokens outlive that, so only the keys' lifetimes matter.
const longLived = () => validClaims({ exp: Math.floor(Date.now() / 1000) + 6 * 3600 });
const tokenA = (kid = 'a') => sign(rsaA.privateKey, 'RS256', longLived(), { kid });
const tokenB = (kid = 'b') => sign(rsaB.privateKey, 'RS256', longLived(), { kid });
/** A token with this kid whose signature is never checked (no key is ever found for it). */
const unsignedWithKid = (kid: string) => rawToken({ alg: 'RS256', typ: 'JWT', kid }, validClaims());
const randomKid = () => `kid-${Math.random().toString(36).slice(2)}`;

const UNAVAILABLE = 'The token signing keys are temporarily unavailable.';

describe('key lifetime', () => {
  // Each lifetime L is pinned by the refresh-ahead point (80 % of L): a request at 79 % of L
  // fetches nothing, a request at 81 % starts exactly one background fetch.
  it.each<[string, string | undefined, Partial<VerifierOptions>, number]>([
    ['no Cache-Control: jwksCacheMaxAge, default 10 minutes', undefined, {}, 600_000],
    ['no Cache-Control: jwksCacheMaxAge: 20', undefined, { jwksCacheMaxAge: 20 }, 20_000],
    ['max-age within [jwksCacheMinAge, jwksCacheMaxAge]: max-age', 'public, max-age=120', {}, 120_000],
    ['max-age above jwksCacheMaxAge: jwksCacheMaxAge', 'max-age=86400', {}, 600_000],
    ['max-age above a custom jwksCacheMaxAge', 'max-age=3600', { jwksCacheMaxAge: '5m' }, 300_000],
    ['max-age below jwksCacheMinAge (default 1 minute): the floor', 'max-age=5', {}, 60_000],
    ['max-age below a custom jwksCacheMinAge', 'max-age=5', { jwksCacheMinAge: 30 }, 30_000],
    ['max-age=0: the floor', 'max-age=0', {}, 60_000],
    ['no-store: the floor', 'no-store', { jwksCacheMinAge: '30s' }, 30_000],
    ['no-cache (whatever max-age says): the floor', 'no-cache, max-age=600', { jwksCacheMinAge: 30 }, 30_000],
    ['max-age=0 with jwksCacheMaxAge under a minute: the floor is jwksCacheMaxAge', 'max-age=0', { jwksCacheMaxAge: 20 }, 20_000],
  ])('%s', async (_label, cacheControl, options, lifetimeMs) => {
    const clock = useClock();
    const events = keyEventLog();
    const server = await endpoint();
    server.cacheControl = cacheControl;
    const verifier = verifierFor(server, { jwksCooldown: '1h', onKeyEvent: events.onKeyEvent, ...options });
    const token = await tokenA();

    await verifier.verify(token);
    // Never a fetch per request, even with max-age=0 or no-store.
    await Promise.all(Array.from({ length: 50 }, () => verifier.verify(token)));
    expect(server.hits).toBe(1);

    clock.advance(lifetimeMs * 0.79);
    await verifier.verify(token);
    await sleep(30);
    expect(server.hits).toBe(1);

    clock.advance(lifetimeMs * 0.02);
    const refreshed = events.next('keys_fetched');
    await verifier.verify(token);
    await refreshed;
    expect(server.hits).toBe(2);
  });

  it('past 80 % of the lifetime, a request starts a background refresh and does not wait for it', async () => {
    const clock = useClock();
    const events = keyEventLog();
    const server = await endpoint([jwkA]);
    const verifier = verifierFor(server, { jwksCacheMaxAge: 10, jwksCooldown: '1h', onKeyEvent: events.onKeyEvent });
    const token = await tokenA();
    const rotated = await tokenB();
    await verifier.verify(token);

    server.keys = [jwkA, jwkB];
    server.delayMs = 800;
    clock.advance(8_500);
    const refreshed = events.next('keys_fetched');
    const started = performance.now();
    await expect(verifier.verify(token)).resolves.toMatchObject({ header: { kid: 'a' } });
    // The answer takes 800 ms; this request was served from the cached keys without waiting.
    expect(performance.now() - started).toBeLessThan(400);
    // Requests during the refresh share it: still one fetch.
    await Promise.all(Array.from({ length: 20 }, () => verifier.verify(token)));
    await refreshed;
    expect(server.hits).toBe(2);
    // The refreshed set is in use (kid b was not in the first one; the 1 h cooldown rules out a refetch).
    await expect(verifier.verify(rotated)).resolves.toMatchObject({ header: { kid: 'b' } });
    expect(server.hits).toBe(2);
  });

  it('past the lifetime, a token whose kid only the refreshed set has waits for that refresh (real time: jwksCacheMaxAge 1 s, 300 ms answer)', async () => {
    const server = await endpoint([jwkA]);
    const verifier = verifierFor(server, { jwksCacheMaxAge: 1, jwksCooldown: '1h' });
    const oldToken = await tokenA();
    const rotated = await tokenB();
    await verifier.verify(oldToken);
    expect(server.hits).toBe(1);

    server.keys = [jwkB];
    server.delayMs = 300;
    await sleep(1_100);
    const started = performance.now();
    // Only the refreshed set has kid b: the unknown kid joined the background refresh the expired keys started.
    await expect(verifier.verify(rotated)).resolves.toMatchObject({ header: { kid: 'b' } });
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    expect(server.hits).toBe(2);
    await rejection(verifier.verify(oldToken), 'key_not_found', 401);
    expect(server.hits).toBe(2);
  });
});

describe('unknown kid', () => {
  it('100 simultaneous verifications of a newly published kid cause exactly one fetch, and all succeed', async () => {
    const events = keyEventLog();
    const server = await endpoint([jwkA]);
    const verifier = verifierFor(server, { jwksCooldown: 0.3, onKeyEvent: events.onKeyEvent });
    await verifier.verify(await tokenA());
    expect(server.hits).toBe(1);

    server.keys = [jwkA, jwkB];
    server.delayMs = 50;
    const token = await tokenB();
    await sleep(350);
    const results = await Promise.all(Array.from({ length: 100 }, () => verifier.verify(token)));
    expect(results.map((result) => result.header.kid)).toEqual(Array(100).fill('b'));
    expect(server.hits).toBe(2);
    expect(events.of('keys_fetched')).toHaveLength(2);
    const unknown = events.of('unknown_kid');
    expect(unknown).toHaveLength(100);
    expect(unknown.every((event) => event.kid === 'b' && event.refetched)).toBe(true);
  });

  it('an unknown kid refetches at most once per jwksCooldown (default 30 s), counted from its own refetch, and is not remembered as unknown', async () => {
    const clock = useClock();
    const events = keyEventLog();
    const server = await endpoint([jwkA]);
    const verifier = verifierFor(server, { onKeyEvent: events.onKeyEvent });
    const token = await tokenB();
    await verifier.verify(await tokenA());

    // 5 s after the first fetch (a known kid's): no cooldown yet, the unknown kid refetches; not published yet.
    clock.advance(5_000);
    const refetched = await rejection(verifier.verify(token), 'key_not_found', 401);
    expect(refetched.hint).toMatch(/check that .* holds that kid/);
    expect(server.hits).toBe(2);
    // The provider publishes it now; within the cooldown of that refetch it is still unknown here…
    server.keys = [jwkA, jwkB];
    clock.advance(29_000);
    const skipped = await rejection(verifier.verify(token), 'key_not_found', 401);
    // …and the hint says the lookup was skipped, and when it happens again, rather than blaming the key source.
    expect(skipped.hint).toBe(
      `no configured key matches the token's kid "b" and alg "RS256"; a refetch for unknown kid was skipped: the last fetch was 29 s ago (jwksCooldown 30 s); the kid will be looked up again in 1 s.`,
    );
    expect(server.hits).toBe(2);
    // …and once the cooldown is over, it verifies: the earlier miss was not cached.
    clock.advance(2_000);
    await expect(verifier.verify(token)).resolves.toMatchObject({ header: { kid: 'b' } });
    expect(server.hits).toBe(3);
    expect(events.of('unknown_kid').map((event) => event.refetched)).toEqual([true, false, true]);
  });

  it('a provider that rotates 15 s after our first fetch: the new kid verifies at once, not after 30 s of key_not_found', async () => {
    const clock = useClock();
    const server = await endpoint([jwkA]);
    const verifier = verifierFor(server);
    await verifier.verify(await tokenA());
    clock.advance(15_000);
    server.keys = [jwkA, jwkB];
    await expect(verifier.verify(await tokenB())).resolves.toMatchObject({ header: { kid: 'b' } });
    expect(server.hits).toBe(2);
  });

  it('background refreshes start no cooldown either: a rotation right after one is picked up at once', async () => {
    const clock = useClock();
    const events = keyEventLog();
    const server = await endpoint([jwkA]);
    const verifier = verifierFor(server, { jwksCacheMaxAge: 20, onKeyEvent: events.onKeyEvent });
    const token = await tokenA();
    await verifier.verify(token);
    clock.advance(17_000); // past 80 %: the request starts a background refresh
    const refreshed = events.next('keys_fetched');
    await verifier.verify(token);
    await refreshed;
    expect(server.hits).toBe(2);
    clock.advance(1_000);
    server.keys = [jwkA, jwkB];
    await expect(verifier.verify(await tokenB())).resolves.toMatchObject({ header: { kid: 'b' } });
    expect(server.hits).toBe(3);
  });

  it('the first requests, all with a kid the set does not have, share the first fetch and cause no second one', async () => {
    const events = keyEventLog();
    const server = await endpoint([jwkA]);
    server.delayMs = 50;
    const verifier = verifierFor(server, { onKeyEvent: events.onKeyEvent });
    const token = await tokenB();
    await Promise.all(Array.from({ length: 20 }, () => rejection(verifier.verify(token), 'key_not_found', 401)));
    expect(server.hits).toBe(1);
    expect(events.of('unknown_kid').every((event) => !event.refetched)).toBe(true);
    // The keys were fetched for those very requests, so the cooldown has not started: a later unknown kid refetches.
    await rejection(verifier.verify(token), 'key_not_found', 401);
    expect(server.hits).toBe(2);
  });

  it('a flood of 200 tokens with random kids: one fetch per cooldown, each refused key_not_found quickly', async () => {
    const server = await endpoint([jwkA]);
    const verifier = verifierFor(server, { jwksCooldown: 0.3 });
    await verifier.verify(await tokenA());
    const flood = Array.from({ length: 200 }, () => unsignedWithKid(randomKid()));
    await sleep(350);

    let started = performance.now();
    const outcomes = await Promise.allSettled(flood.map((token) => verifier.verify(token)));
    expect(performance.now() - started).toBeLessThan(2_000);
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      expect((outcome as PromiseRejectedResult).reason).toMatchObject({ code: 'key_not_found', status: 401 });
    }
    // The whole simultaneous flood shared a single refetch.
    expect(server.hits).toBe(2);

    // The same flood again, within the cooldown: no fetch at all.
    started = performance.now();
    const again = await Promise.allSettled(flood.map((token) => verifier.verify(token)));
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(again.every((outcome) => outcome.status === 'rejected')).toBe(true);
    expect(server.hits).toBe(2);

    // A sustained flood for about a second: fetches are bounded by one per 300 ms.
    const before = server.hits;
    started = performance.now();
    while (performance.now() - started < 1_000) {
      await rejection(verifier.verify(unsignedWithKid(randomKid())), 'key_not_found', 401);
      await sleep(20);
    }
    const elapsed = performance.now() - started;
    const fetches = server.hits - before;
    expect(fetches).toBeGreaterThanOrEqual(1);
    expect(fetches).toBeLessThanOrEqual(Math.floor(elapsed / 300) + 1);
    // Known kids are unaffected by the flood.
    await expect(verifier.verify(await tokenA())).resolves.toBeDefined();
  });

  it('reports the kid printable and cut to 64 characters, and whether it caused a refetch', async () => {
    const events = keyEventLog();
    const server = await endpoint([jwkA]);
    const verifier = verifierFor(server, { jwksCooldown: '1h', onKeyEvent: events.onKeyEvent });
    await verifier.verify(await tokenA());
    const hostileKid = `k\u0000\n\u001b[31mé${'x'.repeat(100)}`;
    await rejection(verifier.verify(unsignedWithKid(hostileKid)), 'key_not_found', 401);
    await rejection(verifier.verify(unsignedWithKid(hostileKid)), 'key_not_found', 401);
    const [first, second] = events.of('unknown_kid');
    expect(first).toEqual({ type: 'unknown_kid', url: server.url, kid: `k???[31m?${'x'.repeat(55)}`, refetched: true });
    expect(second).toEqual({ ...first, refetched: false });
    const event = first;
    expect(event!.kid).toHaveLength(64);
    expect(event!.kid).toMatch(/^[\x20-\x7e]+$/);
  });

  it('a token whose kid is known but whose alg the key does not allow is key_not_found without a refetch', async () => {
    const server = await endpoint([{ ...jwkA, alg: 'RS256' }]);
    const verifier = verifierFor(server, { jwksCooldown: 0, algorithms: ['RS256', 'PS256'] });
    await verifier.verify(await tokenA());
    await rejection(verifier.verify(await sign(rsaA.privateKey, 'PS256', validClaims(), { kid: 'a' })), 'key_not_found', 401);
    expect(server.hits).toBe(1);
  });
});

describe('endpoint failures', () => {
  const MARKER = 'do-not-leak-4f1c9e';
  const padding = (bytes: number) => 'x'.repeat(bytes);
  type Breakage = (server: JwksEndpoint) => Promise<void> | void;

  it.each<[string, Breakage, Partial<VerifierOptions>, string]>([
    ['a refused connection', (server) => server.close(), {}, 'fetch failed (ECONNREFUSED)'],
    ['no answer within jwksTimeout', (server) => void (server.fail = () => undefined), { jwksTimeout: 0.2 }, 'timeout: no answer within jwksTimeout'],
    [
      'headers, then a body that never ends',
      (server) =>
        void (server.fail = (res) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write('{"keys": [');
        }),
      { jwksTimeout: 0.2 },
      'timeout: no answer within jwksTimeout',
    ],
    ['HTTP 500', (server) => void (server.fail = (res) => sendJson(res, { error: MARKER }, 500)), {}, 'HTTP 500'],
    ['HTTP 503', (server) => void (server.fail = (res) => sendJson(res, MARKER, 503)), {}, 'HTTP 503'],
    ['HTTP 404', (server) => void (server.fail = (res) => sendJson(res, { error: MARKER }, 404)), {}, 'HTTP 404'],
    ['invalid JSON', (server) => void (server.fail = (res) => sendJson(res, `{"keys": ["${MARKER}"`)), {}, 'the response is not JSON'],
    ['HTML', (server) => void (server.fail = (res) => sendJson(res, `<html>${MARKER}</html>`)), {}, 'the response is not JSON'],
    ['JSON that is not a JWK Set', (server) => void (server.fail = (res) => sendJson(res, { jwks: [jwkA], note: MARKER })), {}, 'the response is not a JWK Set'],
    ['a JSON array of keys', (server) => void (server.fail = (res) => sendJson(res, [jwkA])), {}, 'the response is not a JWK Set'],
    ['"keys" that is not an array', (server) => void (server.fail = (res) => sendJson(res, { keys: { a: jwkA } })), {}, 'the response is not a JWK Set'],
    [
      'a set with only HMAC secrets ("oct")',
      (server) => void (server.keys = [{ kty: 'oct', kid: 'h', k: Buffer.from(SECRET_32).toString('base64url') }]),
      {},
      'the JWK Set has no usable signature verification key',
    ],
    [
      'a set with only encryption keys (use: enc)',
      (server) => void (server.keys = [{ ...jwkA, use: 'enc' }]),
      {},
      'the JWK Set has no usable signature verification key',
    ],
    [
      'a set whose keys may not verify (key_ops)',
      (server) => void (server.keys = [{ ...jwkA, use: undefined, key_ops: ['encrypt', 'wrapKey'] }]),
      {},
      'the JWK Set has no usable signature verification key',
    ],
    [
      'a set of refused keys (1024-bit RSA, junk)',
      (server) => void (server.keys = [{ ...rsa1024.publicJwk, kid: 'small' }, null as never, 'x' as never, { kty: 'RSA', n: MARKER, e: 'AQAB' }]),
      {},
      'the JWK Set has no usable signature verification key',
    ],
    ['an empty set', (server) => void (server.keys = []), {}, 'the JWK Set has no usable signature verification key'],
    [
      'a response over jwksMaxBytes, with content-length',
      (server) => void (server.fail = (res) => sendJson(res, { keys: [jwkA], padding: padding(4096) })),
      { jwksMaxBytes: 2048 },
      'the response is larger than 2048 bytes',
    ],
    [
      'a response over jwksMaxBytes, chunked (no content-length)',
      (server) =>
        void (server.fail = (res) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write(`{"keys": [${JSON.stringify(jwkA)}], "padding": "`);
          for (let i = 0; i < 8; i += 1) res.write(padding(512));
          res.end('"}');
        }),
      { jwksMaxBytes: 2048 },
      'the response is larger than 2048 bytes',
    ],
    [
      'a gzip response that inflates over jwksMaxBytes (small content-length)',
      (server) =>
        void (server.fail = (res) => {
          const body = gzipSync(JSON.stringify({ keys: [jwkA], padding: padding(200_000) }));
          res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': body.byteLength });
          res.end(body);
        }),
      { jwksMaxBytes: 2048 },
      'the response is larger than 2048 bytes',
    ],
    [
      'a response over the default 512 KiB',
      (server) => void (server.fail = (res) => sendJson(res, { keys: [jwkA], padding: padding(600 * 1024) })),
      {},
      'the response is larger than 524288 bytes',
    ],
  ])('%s: 503 key_source_unavailable, the hint names the URL and the reason', async (_label, breakIt, options, reason) => {
    const events = keyEventLog();
    const server = await endpoint([jwkA]);
    await breakIt(server);
    const verifier = verifierFor(server, { onKeyEvent: events.onKeyEvent, ...options });
    const token = await tokenA();

    const started = performance.now();
    const error = await rejection(verifier.verify(token), 'key_source_unavailable', 503);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(error.message).toBe(UNAVAILABLE);
    expect(error.hint).toBe(`JWKS ${server.url}: ${reason}`);
    expect(error.toJSON()).toEqual({ error: 'key_source_unavailable', error_description: UNAVAILABLE });
    expect(error.wwwAuthenticate).toBeUndefined();
    // Nothing from the token, the keys or the response body in what is reported.
    const reported = JSON.stringify([error.message, error.hint, events.events]);
    for (const secret of [token, token.split('.')[1]!, token.split('.')[2]!, jwkA.n!, Buffer.from(SECRET_32).toString('base64url'), MARKER]) {
      expect(reported).not.toContain(secret);
    }
    expect(events.of('keys_fetch_failed')).toEqual([
      { type: 'keys_fetch_failed', url: server.url, reason, durationMs: expect.any(Number), consecutiveFailures: 1, retryInMs: 1000 },
    ]);
    expect(events.of('keys_fetched')).toEqual([]);

    // Within the backoff, the next request fails fast with the same answer and no fetch.
    const hits = server.hits;
    const again = performance.now();
    const second = await rejection(verifier.verify(token), 'key_source_unavailable', 503);
    expect(performance.now() - again).toBeLessThan(250);
    expect(second.hint).toBe(error.hint);
    expect(server.hits).toBe(hits);
    expect(server.hitsOn(JWKS_PATH)).toBe(hits);
  });

  it('backs off 1 s, 2 s, 4 s … up to 60 s; within a backoff no fetch; recovery needs no restart', async () => {
    const clock = useClock();
    const events = keyEventLog();
    const server = await endpoint([jwkA]);
    server.fail = (res) => sendJson(res, 'down', 500);
    const verifier = verifierFor(server, { onKeyEvent: events.onKeyEvent });
    const token = await tokenA();

    const backoffs = [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000];
    for (const [index, backoff] of backoffs.entries()) {
      await rejection(verifier.verify(token), 'key_source_unavailable', 503);
      expect(server.hits).toBe(index + 1);
      expect(events.of('keys_fetch_failed')[index]).toMatchObject({ reason: 'HTTP 500', consecutiveFailures: index + 1, retryInMs: backoff });
      // Just before the backoff ends: fail fast, no fetch.
      clock.advance(backoff - 400);
      await rejection(verifier.verify(token), 'key_source_unavailable', 503);
      await rejection(verifier.ready(), 'key_source_unavailable', 503);
      expect(server.hits).toBe(index + 1);
      clock.advance(400);
    }

    server.fail = undefined;
    await expect(verifier.verify(token)).resolves.toMatchObject({ header: { kid: 'a' } });
    expect(server.hits).toBe(backoffs.length + 1);
    expect(events.of('keys_fetched')).toHaveLength(1);

    // Success resets the count: the next failure backs off 1 s again (and the keys are served stale meanwhile).
    server.fail = (res) => sendJson(res, 'down', 500);
    clock.advance(600_001);
    const failed = events.next('keys_fetch_failed');
    await expect(verifier.verify(token)).resolves.toBeDefined();
    await failed;
    expect(events.of('keys_fetch_failed').at(-1)).toMatchObject({ consecutiveFailures: 1, retryInMs: 1000 });
    expect(server.hits).toBe(backoffs.length + 2);
  });

  it('a failed refetch keeps the cached keys: known kids verify, unknown kids are 401 key_not_found', async () => {
    const events = keyEventLog();
    const server = await endpoint([jwkA]);
    const verifier = verifierFor(server, { jwksCooldown: 0, onKeyEvent: events.onKeyEvent });
    await verifier.verify(await tokenA());
    server.fail = (res) => sendJson(res, 'down', 500);
    await rejection(verifier.verify(await tokenB()), 'key_not_found', 401);
    expect(server.hits).toBe(2);
    await expect(verifier.verify(await tokenA())).resolves.toBeDefined();
    // The failed refetch started a backoff: unknown kids do not refetch during it, even with no cooldown.
    await rejection(verifier.verify(await tokenB()), 'key_not_found', 401);
    expect(server.hits).toBe(2);
    expect(events.of('unknown_kid').map((event) => event.refetched)).toEqual([true, false]);
  });
});

/**
 * A TCP server on 127.0.0.1 that answers the first HTTP request with the JWK Set (closing that
 * connection), then black-holes: it accepts every later connection, reads it, and never sends a byte.
 */
async function blackHoleAfterFirstAnswer(keys: JWK[]): Promise<{ url: string; requests(): number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let requests = 0;
  const body = JSON.stringify({ keys });
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    // Requests are counted, not connections (undici may open a spare connection that carries none).
    socket.once('data', () => {
      requests += 1;
      if (requests > 1) return; // read, never answered
      socket.end(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const hole = {
    url: `http://127.0.0.1:${port}${JWKS_PATH}`,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  holes.push(hole);
  return hole;
}

const holes: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(holes.splice(0).map((hole) => hole.close()));
});

describe('outages and rotations hold no request up (issue 12, rule 6)', () => {
  it('keys past their lifetime, the endpoint black-holing: no request waits, cached or not, across backoff steps, until the grace period ends', async () => {
    const clock = useClock();
    const events = keyEventLog();
    const hole = await blackHoleAfterFirstAnswer([jwkA]);
    const verifier = createVerifier({ jwksUri: hole.url, ...CLAIM_OPTIONS, jwksCacheMaxAge: 10, jwksTimeout: 1.5, onKeyEvent: events.onKeyEvent });
    const cached = await tokenA();
    for (let i = 0; i < 3; i += 1) await verifier.verify(cached); // fetched once, then admitted to the token cache
    expect(hole.requests()).toBe(1);

    /** A cached token and a new one, each answered well within jwksTimeout (a black-holed fetch takes all 1.5 s). */
    const answeredAtOnce = async () => {
      for (const token of [cached, await tokenA()]) {
        const started = performance.now();
        await expect(verifier.verify(token)).resolves.toMatchObject({ header: { kid: 'a' } });
        expect(performance.now() - started).toBeLessThan(500);
      }
    };

    // Past the lifetime: the expired keys answer at once; the refresh hangs in the background, shared.
    const firstFailure = events.next('keys_fetch_failed', 4_000);
    clock.advance(10_001);
    await answeredAtOnce();
    await answeredAtOnce();
    await vi.waitFor(() => expect(hole.requests()).toBe(2));
    expect(await firstFailure).toMatchObject({ reason: 'timeout: no answer within jwksTimeout', consecutiveFailures: 1, retryInMs: 1_000 });
    // Within the backoff: at once, and no fetch.
    await answeredAtOnce();
    await sleep(50);
    expect(hole.requests()).toBe(2);
    // The next backoff step: another background attempt; still no request waits.
    const secondFailure = events.next('keys_fetch_failed', 4_000);
    clock.advance(1_000);
    await answeredAtOnce();
    await vi.waitFor(() => expect(hole.requests()).toBe(3));
    expect(await secondFailure).toMatchObject({ consecutiveFailures: 2, retryInMs: 2_000 });
    expect(events.of('stale_keys_served').length).toBeGreaterThanOrEqual(6);

    // The grace period (jwksStaleIfError, 1 h) is over: no usable key, so 503.
    clock.advance(3_600_000);
    await rejection(verifier.verify(cached), 'key_source_unavailable', 503);
    await rejection(verifier.verify(await tokenA()), 'key_source_unavailable', 503);
  });

  it('ready() resolves at once on keys within the grace period, starting the refresh in the background', async () => {
    const clock = useClock();
    const hole = await blackHoleAfterFirstAnswer([jwkA]);
    const verifier = createVerifier({ jwksUri: hole.url, ...CLAIM_OPTIONS, jwksCacheMaxAge: 10, jwksTimeout: 1.5 });
    await verifier.ready();
    clock.advance(10_001);
    const started = performance.now();
    await verifier.ready();
    expect(performance.now() - started).toBeLessThan(500);
    await vi.waitFor(() => expect(hole.requests()).toBe(2));
  });
});

describe('stale-if-error', () => {
  it('serves expired keys while the endpoint fails, within jwksStaleIfError; then 503; recovers without restart', async () => {
    const clock = useClock();
    const events = keyEventLog();
    const server = await endpoint([jwkA]);
    const verifier = verifierFor(server, {
      jwksCacheMaxAge: 10,
      jwksStaleIfError: 60,
      jwksCooldown: '1h',
      onKeyEvent: events.onKeyEvent,
    });
    const token = await tokenA();
    await verifier.verify(token);
    server.fail = (res) => sendJson(res, 'down', 500);

    // 8.5 s: fresh keys; the background refresh fails (1st failure, retry in 1 s). No stale keys yet.
    clock.advance(8_500);
    const failed = events.next('keys_fetch_failed');
    await expect(verifier.verify(token)).resolves.toBeDefined();
    await failed;
    expect(server.hits).toBe(2);
    expect(events.of('stale_keys_served')).toEqual([]);

    // 10.5 s: expired. The expired keys are served at once; the refresh, in the background, fails (2nd, retry in 2 s).
    clock.advance(2_000);
    const failedAgain = events.next('keys_fetch_failed');
    await expect(verifier.verify(token)).resolves.toMatchObject({ header: { kid: 'a' } });
    await failedAgain;
    expect(server.hits).toBe(3);
    const [stale] = events.of('stale_keys_served');
    expect(stale).toEqual({ type: 'stale_keys_served', url: server.url, ageMs: expect.any(Number) });
    expect(stale!.ageMs).toBeGreaterThanOrEqual(10_500);
    expect(stale!.ageMs).toBeLessThan(12_000);

    // Within the backoff: stale keys, no fetch.
    await expect(verifier.verify(token)).resolves.toBeDefined();
    expect(server.hits).toBe(3);
    expect(events.of('stale_keys_served')).toHaveLength(2);
    // An unknown kid meanwhile is 401, not 503: the source still has keys.
    await rejection(verifier.verify(await tokenB()), 'key_not_found', 401);
    expect(server.hits).toBe(3);

    // 69 s (grace ends at 10 + 60 = 70 s): still served stale; the background refresh fails (3rd, retry in 4 s).
    clock.advance(58_500);
    const thirdFailure = events.next('keys_fetch_failed');
    await expect(verifier.verify(token)).resolves.toBeDefined();
    await thirdFailure;
    expect(server.hits).toBe(4);

    // 70.5 s: the grace period is over, within the backoff: 503 without a fetch.
    clock.advance(1_500);
    const error = await rejection(verifier.verify(token), 'key_source_unavailable', 503);
    expect(error.hint).toBe(`JWKS ${server.url}: HTTP 500`);
    expect(server.hits).toBe(4);
    await rejection(verifier.ready(), 'key_source_unavailable', 503);

    // The endpoint recovers; once the backoff (until 73 s) is over, verification recovers by itself.
    server.fail = undefined;
    await rejection(verifier.verify(token), 'key_source_unavailable', 503);
    expect(server.hits).toBe(4);
    clock.advance(3_000);
    const staleCount = events.of('stale_keys_served').length;
    await expect(verifier.verify(token)).resolves.toBeDefined();
    expect(server.hits).toBe(5);
    await expect(verifier.verify(token)).resolves.toBeDefined();
    expect(server.hits).toBe(5);
    expect(events.of('stale_keys_served')).toHaveLength(staleCount);
    expect(events.of('keys_fetch_failed').map((event) => event.consecutiveFailures)).toEqual([1, 2, 3]);
  });

  it('grants an hour of grace by default', async () => {
    const clock = useClock();
    const events = keyEventLog();
    const server = await endpoint([jwkA]);
    const verifier = verifierFor(server, { jwksCacheMaxAge: 10, onKeyEvent: events.onKeyEvent });
    const token = await tokenA();
    await verifier.verify(token);
    server.fail = (res) => sendJson(res, 'down', 500);

    clock.advance(10_000 + 59 * 60_000);
    const failed = events.next('keys_fetch_failed');
    await expect(verifier.verify(token)).resolves.toBeDefined();
    await failed;
    expect(server.hits).toBe(2);
    expect(events.of('stale_keys_served')).toHaveLength(1);

    clock.advance(2 * 60_000);
    await rejection(verifier.verify(token), 'key_source_unavailable', 503);
    expect(server.hits).toBe(3);
    expect(events.of('stale_keys_served')).toHaveLength(1);
  });

  it('jwksStaleIfError: 0 serves no expired keys', async () => {
    const clock = useClock();
    const events = keyEventLog();
    const server = await endpoint([jwkA]);
    const verifier = verifierFor(server, { jwksCacheMaxAge: 10, jwksStaleIfError: 0, onKeyEvent: events.onKeyEvent });
    const token = await tokenA();
    await verifier.verify(token);
    server.fail = (res) => sendJson(res, 'down', 500);
    clock.advance(10_001);
    await rejection(verifier.verify(token), 'key_source_unavailable', 503);
    expect(server.hits).toBe(2);
    expect(events.of('stale_keys_served')).toEqual([]);
  });
});

describe('warm-up and ready()', () => {
  it('warmUp: true fetches at creation, before any verification', async () => {
    const events = keyEventLog();
    const server = await endpoint([jwkA]);
    const verifier = verifierFor(server, { warmUp: true, onKeyEvent: events.onKeyEvent });
    await events.next('keys_fetched');
    expect(server.hits).toBe(1);
    await expect(verifier.verify(await tokenA())).resolves.toBeDefined();
    await expect(verifier.ready()).resolves.toBeUndefined();
    expect(server.hits).toBe(1);
  });

  it('without warmUp nothing is fetched until the first verification or ready()', async () => {
    const server = await endpoint([jwkA]);
    const verifier = verifierFor(server, { warmUp: false });
    await sleep(100);
    expect(server.hits).toBe(0);
    await verifier.ready();
    expect(server.hits).toBe(1);
  });

  it('ready() resolves once the keys are held, sharing one fetch between callers', async () => {
    const events = keyEventLog();
    const server = await endpoint([jwkA]);
    server.delayMs = 200;
    const verifier = verifierFor(server, { onKeyEvent: events.onKeyEvent });
    const started = performance.now();
    await Promise.all([verifier.ready(), verifier.ready(), verifier.ready()]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(150);
    expect(events.of('keys_fetched')).toHaveLength(1);
    expect(server.hits).toBe(1);
    await expect(verifier.verify(await tokenA())).resolves.toBeDefined();
    expect(server.hits).toBe(1);
  });

  it.each<[string, (server: JwksEndpoint) => Promise<void> | void, string]>([
    ['refuses connections', (server) => server.close(), 'fetch failed (ECONNREFUSED)'],
    ['answers 500', (server) => void (server.fail = (res) => sendJson(res, 'down', 500)), 'HTTP 500'],
    ['serves no usable key', (server) => void (server.keys = [{ ...jwkA, use: 'enc' }]), 'the JWK Set has no usable signature verification key'],
  ])('ready() rejects with key_source_unavailable when the endpoint %s', async (_label, breakIt, reason) => {
    const server = await endpoint([jwkA]);
    await breakIt(server);
    const verifier = verifierFor(server);
    const error = await rejection(verifier.ready(), 'key_source_unavailable', 503);
    expect(error.hint).toBe(`JWKS ${server.url}: ${reason}`);
    // A start-up failure names its cause in the message; a request's 503 keeps the generic one.
    expect(error.message).toBe(`The token signing keys could not be loaded: JWKS ${server.url}: ${reason}.`);
    expect((await rejection(verifier.verify(await tokenA()), 'key_source_unavailable', 503)).message).toBe(UNAVAILABLE);
  });

  it('with warmUp: true and the endpoint down, ready() rejects (sharing the warm-up fetch) and nothing is left unhandled', async () => {
    const events = keyEventLog();
    const server = await endpoint([jwkA]);
    server.fail = (res) => sendJson(res, 'down', 503);
    const verifier = verifierFor(server, { warmUp: true, onKeyEvent: events.onKeyEvent });
    await rejection(verifier.ready(), 'key_source_unavailable', 503);
    expect(server.hits).toBe(1);
    expect(events.of('keys_fetch_failed')).toHaveLength(1);
    await rejection(verifier.verify(await tokenA()), 'key_source_unavailable', 503);
    expect(server.hits).toBe(1);
  });

  it('verifiers with keys in the options are ready at once', async () => {
    const verifiers = [
      createVerifier({ secret: SECRET_32, ...CLAIM_OPTIONS }),
      createVerifier({ publicKey: rsaA.publicPem, ...CLAIM_OPTIONS }),
      createVerifier({ jwks: { keys: [jwkA] }, ...CLAIM_OPTIONS }),
      createVerifier({ getKey: () => rsaA.publicKey, algorithms: ['RS256'], ...CLAIM_OPTIONS }),
      createVerifier({ secret: SECRET_32, warmUp: true, ...CLAIM_OPTIONS }),
    ];
    for (const verifier of verifiers) {
      const first = await Promise.race([verifier.ready().then(() => 'ready'), sleep(0).then(() => 'timer')]);
      expect(first).toBe('ready');
    }
  });
});

describe('key events', () => {
  it('keys_fetched carries the URL, the number of usable keys and the duration', async () => {
    const events = keyEventLog();
    const server = await endpoint([
      jwkA,
      jwkB,
      { ...jwkB, kid: 'enc', use: 'enc' },
      { kty: 'oct', kid: 'h', k: Buffer.from(SECRET_32).toString('base64url') },
    ]);
    server.delayMs = 100;
    const verifier = verifierFor(server, { onKeyEvent: events.onKeyEvent });
    await verifier.ready();
    expect(events.events).toEqual([{ type: 'keys_fetched', url: server.url, keyCount: 2, durationMs: expect.any(Number) }]);
    expect(events.of('keys_fetched')[0]!.durationMs).toBeGreaterThanOrEqual(90);
  });

  it('keys_fetch_failed counts consecutive failures and says when the next attempt is allowed', async () => {
    const clock = useClock();
    const events = keyEventLog();
    const server = await endpoint([jwkA]);
    server.fail = (res) => sendJson(res, 'down', 503);
    const verifier = verifierFor(server, { onKeyEvent: events.onKeyEvent });
    await rejection(verifier.ready(), 'key_source_unavailable');
    clock.advance(1_000);
    await rejection(verifier.ready(), 'key_source_unavailable');
    server.fail = (res) => sendJson(res, '{', 200);
    clock.advance(2_000);
    await rejection(verifier.ready(), 'key_source_unavailable');
    expect(events.events).toEqual([
      { type: 'keys_fetch_failed', url: server.url, reason: 'HTTP 503', durationMs: expect.any(Number), consecutiveFailures: 1, retryInMs: 1000 },
      { type: 'keys_fetch_failed', url: server.url, reason: 'HTTP 503', durationMs: expect.any(Number), consecutiveFailures: 2, retryInMs: 2000 },
      {
        type: 'keys_fetch_failed',
        url: server.url,
        reason: 'the response is not JSON',
        durationMs: expect.any(Number),
        consecutiveFailures: 3,
        retryInMs: 4000,
      },
    ]);
  });

  it('a listener that throws on every event breaks nothing: fetch, unknown kid, failure, stale keys', async () => {
    const clock = useClock();
    const seen: KeyEvent['type'][] = [];
    const server = await endpoint([jwkA]);
    const verifier = verifierFor(server, {
      jwksCacheMaxAge: 10,
      jwksCooldown: 0,
      onKeyEvent: (event) => {
        seen.push(event.type);
        throw new Error(`listener bug on ${event.type}`);
      },
    });
    const token = await tokenA();
    await expect(verifier.verify(token)).resolves.toBeDefined();
    await rejection(verifier.verify(await tokenB()), 'key_not_found', 401);
    server.fail = (res) => sendJson(res, 'down', 500);
    clock.advance(10_001);
    // Expired: served stale at once, refreshed in the background (which fails).
    await expect(verifier.verify(token)).resolves.toBeDefined();
    while (!seen.includes('keys_fetch_failed')) await sleep(5);
    clock.advance(2 * 3_600_000);
    await rejection(verifier.verify(token), 'key_source_unavailable', 503);
    expect(seen).toEqual(['keys_fetched', 'unknown_kid', 'keys_fetched', 'stale_keys_served', 'keys_fetch_failed', 'keys_fetch_failed']);
  });
});

describe('key events: async listeners', () => {
  it('a listener that returns a rejected promise (an async metrics hook) breaks nothing and leaves no unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const server = await endpoint([jwkA]);
      const verifier = verifierFor(server, {
        jwksCooldown: 0,
        // eslint-disable-next-line @typescript-eslint/no-misused-promises -- the point of the test: an async hook that rejects
        onKeyEvent: async (event) => {
          throw new Error(`async listener bug on ${event.type}`);
        },
      });
      await expect(verifier.verify(await tokenA())).resolves.toBeDefined();
      await rejection(verifier.verify(await tokenB()), 'key_not_found', 401);
      await sleep(50);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('filtering fetched keys', () => {
  it('uses neither use: enc keys, keys whose key_ops exclude verify, keys bound to another alg, nor oct keys', async () => {
    const events = keyEventLog();
    const server = await endpoint([
      { ...rsaA.publicJwk, kid: 'enc', use: 'enc' },
      { ...rsaA.publicJwk, kid: 'ops', key_ops: ['encrypt', 'wrapKey'] },
      { ...rsaA.publicJwk, kid: 'ps', alg: 'PS256' },
      { kty: 'oct', kid: 'h', k: Buffer.from(SECRET_32).toString('base64url') },
      { ...rsaA.publicJwk, kid: 'verify-op', key_ops: ['verify'] },
      { ...rsaA.publicJwk, kid: 'sig', use: 'sig', alg: 'RS256' },
    ]);
    const verifier = verifierFor(server, { jwksCooldown: '1h', algorithms: ['RS256', 'PS256'], onKeyEvent: events.onKeyEvent });
    const rs256 = (kid: string) => sign(rsaA.privateKey, 'RS256', validClaims(), { kid });

    await expect(verifier.verify(await rs256('sig'))).resolves.toBeDefined();
    await expect(verifier.verify(await rs256('verify-op'))).resolves.toBeDefined();
    await expect(verifier.verify(await sign(rsaA.privateKey, 'PS256', validClaims(), { kid: 'ps' }))).resolves.toBeDefined();
    expect(events.of('keys_fetched')[0]!.keyCount).toBe(3);

    for (const kid of ['enc', 'ops', 'ps']) {
      await rejection(verifier.verify(await rs256(kid)), 'key_not_found', 401);
    }
    // The oct key is no HMAC key here: HS256 is not even allowed with a remote JWKS.
    await rejection(verifier.verify(await sign(SECRET_32, 'HS256', validClaims(), { kid: 'h' })), 'algorithm_not_allowed', 401);
    // Skipped keys are unknown kids: the first of them caused the one refetch of the cooldown.
    expect(server.hits).toBe(2);
    expect(events.of('keys_fetched')[1]!.keyCount).toBe(3);
  });

  it('a token without kid is tried only against keys that allow its alg', async () => {
    const server = await endpoint([
      { ...rsaA.publicJwk, kid: 'ps', alg: 'PS256' },
      { ...rsaA.publicJwk, kid: 'enc', use: 'enc' },
      { ...rsaB.publicJwk, kid: 'b' },
    ]);
    const verifier = verifierFor(server, { jwksCooldown: '1h' });
    // Signed by A, RS256: the only RS256 key held is B's, so the signature fails (A's keys are not candidates).
    await rejection(verifier.verify(await sign(rsaA.privateKey, 'RS256')), 'signature_invalid', 401);
    await expect(verifier.verify(await sign(rsaB.privateKey, 'RS256'))).resolves.toBeDefined();
    expect(server.hits).toBe(1);
  });
});

describe('responses the source reads correctly', () => {
  it('accepts a response exactly jwksMaxBytes long', async () => {
    const server = await endpoint([jwkA]);
    const size = Buffer.byteLength(JSON.stringify({ keys: [jwkA] }));
    const verifier = verifierFor(server, { jwksMaxBytes: size });
    await expect(verifier.verify(await tokenA())).resolves.toBeDefined();
    const tooSmall = verifierFor(server, { jwksMaxBytes: size - 1 });
    const error = await rejection(tooSmall.verify(await tokenA()), 'key_source_unavailable', 503);
    expect(error.hint).toBe(`JWKS ${server.url}: the response is larger than ${size - 1} bytes`);
  });

  it('reads a gzip-compressed set within the limit', async () => {
    const server = await endpoint([jwkA]);
    server.fail = (res: ServerResponse) => {
      const body = gzipSync(JSON.stringify({ keys: [jwkA] }));
      res.writeHead(200, { 'content-type': 'application/jwk-set+json', 'content-encoding': 'gzip', 'content-length': body.byteLength });
      res.end(body);
    };
    await expect(verifierFor(server).verify(await tokenA())).resolves.toBeDefined();
  });
});
