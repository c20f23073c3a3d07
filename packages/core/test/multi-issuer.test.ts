/**
 * `issuers: [...]`: several trusted issuers, each with its own keys, audience and algorithms,
 * chosen by the token's `iss` — and only from the list, so an unlisted issuer never causes a key
 * fetch. Remote issuers use real JWKS servers on 127.0.0.1 whose requests are counted.
 */
import type { JWK } from 'jose';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, type IssuerOptions, type VerifierOptions } from '@jwt-guard/core';
import { cacheLookupOf } from '../src/token-cache.js';
import {
  configError,
  keyEventLog,
  nowSeconds,
  rawToken,
  rejection,
  rsaPair,
  SECRET_32,
  SECRET_64,
  sendJson,
  sign,
  startJwksEndpoint,
  type JwksEndpoint,
  type RsaPair,
} from './helpers.js';

const ISS_A = 'https://a.example.com/';
const ISS_B = 'https://b.example.com/';
const ISS_C = 'https://c.example.com/';
const AUD_A = 'https://api-a.example.com';
const AUD_B = 'https://api-b.example.com';
const SHARED_AUD = 'https://api.example.com';

let rsaA: RsaPair;
let rsaC: RsaPair;
let jwkA: JWK;
let jwkC: JWK;

beforeAll(() => {
  rsaA = rsaPair();
  rsaC = rsaPair();
  jwkA = { ...rsaA.publicJwk, kid: 'a', use: 'sig' };
  jwkC = { ...rsaC.publicJwk, kid: 'c', use: 'sig' };
});

const endpoints: JwksEndpoint[] = [];
afterEach(async () => {
  await Promise.all(endpoints.splice(0).map((endpoint) => endpoint.close()));
});

async function endpoint(keys: JWK[]): Promise<JwksEndpoint> {
  const started = await startJwksEndpoint(keys);
  endpoints.push(started);
  return started;
}

interface Setup {
  serverA: JwksEndpoint;
  serverC: JwksEndpoint;
  issuers: IssuerOptions[];
}

/** A: RS256 from a JWKS server, audience AUD_A. B: an HS256 secret, audience AUD_B. C: RS256 from another JWKS server, shared audience. */
async function setup(): Promise<Setup> {
  const serverA = await endpoint([jwkA]);
  const serverC = await endpoint([jwkC]);
  return {
    serverA,
    serverC,
    issuers: [
      { issuer: ISS_A, jwksUri: serverA.url, audience: AUD_A, algorithms: ['RS256'] },
      { issuer: ISS_B, secret: SECRET_32, audience: AUD_B },
      { issuer: ISS_C, jwksUri: serverC.url },
    ],
  };
}

const multi = (issuers: IssuerOptions[], options: Partial<VerifierOptions> = {}) =>
  createVerifier({ issuers, audience: SHARED_AUD, ...options });

const claims = (iss: string | undefined, aud: string, extra: Record<string, unknown> = {}) => {
  const now = nowSeconds();
  return { ...(iss === undefined ? {} : { iss }), aud, sub: 'user-1', iat: now, exp: now + 600, ...extra };
};
const tokenA = (extra: Record<string, unknown> = {}, header: Record<string, unknown> = {}) =>
  sign(rsaA.privateKey, 'RS256', claims(ISS_A, AUD_A, extra), { kid: 'a', ...header });
const tokenB = (extra: Record<string, unknown> = {}, header: Record<string, unknown> = {}) =>
  sign(SECRET_32, 'HS256', claims(ISS_B, AUD_B, extra), header);
const tokenC = (extra: Record<string, unknown> = {}, header: Record<string, unknown> = {}) =>
  sign(rsaC.privateKey, 'RS256', claims(ISS_C, SHARED_AUD, extra), { kid: 'c', ...header });

describe('several issuers: choosing by iss', () => {
  it("verifies each issuer's tokens with that issuer's keys", async () => {
    const { serverA, serverC, issuers } = await setup();
    const verifier = multi(issuers);
    expect([...verifier.algorithms].sort()).toEqual(['ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'HS256', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512'].sort());
    await expect(verifier.verify(await tokenA())).resolves.toMatchObject({ payload: { iss: ISS_A, aud: AUD_A } });
    await expect(verifier.verify(await tokenB())).resolves.toMatchObject({ payload: { iss: ISS_B, aud: AUD_B } });
    expect(serverA.hits).toBe(1);
    expect(serverC.hits).toBe(0);
    await expect(verifier.verify(await tokenC())).resolves.toMatchObject({ payload: { iss: ISS_C } });
    await verifier.verify(await tokenA());
    expect(serverA.hits).toBe(1);
    expect(serverC.hits).toBe(1);
  });

  it("answers a reused token from its own issuer's cache, re-checking its claims", async () => {
    const { issuers } = await setup();
    let now = new Date();
    const verifier = multi(issuers, { currentDate: () => now });
    const tokens = [await tokenA(), await tokenB(), await tokenC()];
    for (let use = 0; use < 3; use++) {
      for (const [index, token] of tokens.entries()) {
        await expect(verifier.verify(token)).resolves.toMatchObject({ token, payload: { iss: [ISS_A, ISS_B, ISS_C][index] } });
      }
    }
    const lookup = cacheLookupOf(verifier)!;
    for (const token of tokens) expect(lookup(token)).toMatchObject({ token });
    expect(lookup(await tokenA({ jti: 'never-verified' }))).toBeUndefined();
    now = new Date(Date.now() + 3_600_000);
    for (const token of tokens) await rejection(verifier.verify(token), 'token_expired', 401);
  });

  it.each<[string, unknown]>([
    ['an unlisted issuer', 'https://evil.example.com/'],
    ['a listed issuer without its trailing slash', 'https://a.example.com'],
    ['a listed issuer in another case', 'https://A.example.com/'],
    ['a number', 42],
    ['an array holding a listed issuer', [ISS_A]],
    ['null', null],
    ['"__proto__"', '__proto__'],
  ])('an iss that is %s is refused issuer_mismatch with no fetch from any JWKS server', async (_label, iss) => {
    const events = keyEventLog();
    const { serverA, serverC, issuers } = await setup();
    const verifier = multi(issuers, { onKeyEvent: events.onKeyEvent, jwksCooldown: 0 });
    for (const signed of [
      await sign(rsaA.privateKey, 'RS256', { ...claims(ISS_A, AUD_A), iss: iss as string }, { kid: 'a' }),
      await sign(rsaA.privateKey, 'RS256', { ...claims(ISS_A, AUD_A), iss: iss as string }, { kid: 'unknown' }),
      await sign(SECRET_32, 'HS256', { ...claims(ISS_B, AUD_B), iss: iss as string }),
    ]) {
      const error = await rejection(verifier.verify(signed), 'issuer_mismatch', 401);
      expect(error.message).toBe('The access token was issued by an untrusted issuer.');
      expect(error.hint).toMatch(/^the token's iss is .* but .* is expected; .*\(not in issuers\[\]\)$/);
    }
    expect(serverA.hits).toBe(0);
    expect(serverC.hits).toBe(0);
    expect(events.events).toEqual([]);
  });

  it('a token without iss is refused claim_missing, with no fetch', async () => {
    const { serverA, serverC, issuers } = await setup();
    const verifier = multi(issuers);
    const error = await rejection(verifier.verify(await sign(rsaA.privateKey, 'RS256', claims(undefined, AUD_A), { kid: 'a' })), 'claim_missing', 401);
    expect(error.message).toBe('The access token has no "iss" claim.');
    await rejection(verifier.verify(await sign(SECRET_32, 'HS256', claims(undefined, AUD_B))), 'claim_missing', 401);
    expect(serverA.hits + serverC.hits).toBe(0);
  });

  it('malformed and oversized tokens are refused before any issuer is chosen', async () => {
    const { serverA, serverC, issuers } = await setup();
    const verifier = multi(issuers, { maxTokenLength: 2000 });
    await rejection(verifier.verify(''), 'token_missing', 401);
    await rejection(verifier.verify('a.b'), 'token_malformed', 401);
    await rejection(verifier.verify(rawToken('not json', claims(ISS_A, AUD_A))), 'token_malformed', 401);
    await rejection(verifier.verify(await tokenA({ padding: 'x'.repeat(2000) })), 'token_too_large', 401);
    await rejection(verifier.verify(await tokenB({ padding: 'x'.repeat(2000) })), 'token_too_large', 401);
    await rejection(verifier.verify(await sign(SECRET_32, 'HS256', { ...claims(ISS_B, AUD_B), padding: 'x'.repeat(2000), iss: 'https://evil.example.com/' })), 'token_too_large', 401);
    expect(serverA.hits + serverC.hits).toBe(0);
  });

  it('reads only the iss before the signature: a forged payload of any shape is refused for its signature, iss twice or not JSON before any fetch', async () => {
    const { serverA, serverC, issuers } = await setup();
    const verifier = multi(issuers);
    const b64 = (text: string) => Buffer.from(text).toString('base64url');
    const header = b64(JSON.stringify({ alg: 'HS256' }));
    const forged = (payloadText: string) => `${header}.${b64(payloadText)}.${'A'.repeat(43)}`;
    const deep = `${'['.repeat(3000)}${']'.repeat(3000)}`;
    // The issuer is found; its verifier checks the signature first, and never parses the rest.
    await rejection(verifier.verify(forged(`{"x":${deep},"iss":"${ISS_B}","sub":"a","sub":"b"}`)), 'signature_invalid', 401);
    // Not JSON, or iss twice (different parsers would route it to different issuers): refused unrouted.
    const notJson = await rejection(verifier.verify(forged(`{"iss":"${ISS_A}",`)), 'token_malformed', 401);
    expect(notJson.hint).toBe('the payload is not a JSON object');
    const twice = await rejection(verifier.verify(forged(`{"iss":"${ISS_A}","\\u0069ss":"${ISS_C}"}`)), 'token_malformed', 401);
    expect(twice.hint).toBe('the payload has duplicate member names');
    expect(serverA.hits + serverC.hits).toBe(0);
  });

  it('each issuer has its own audience: a token for A\'s audience presented as B\'s (or the shared one) fails', async () => {
    const { issuers } = await setup();
    const verifier = multi(issuers);
    await rejection(verifier.verify(await sign(SECRET_32, 'HS256', claims(ISS_B, AUD_A))), 'audience_mismatch', 401);
    await rejection(verifier.verify(await sign(rsaA.privateKey, 'RS256', claims(ISS_A, AUD_B), { kid: 'a' })), 'audience_mismatch', 401);
    // C has no audience of its own: the top-level one applies to it, and only to it.
    await rejection(verifier.verify(await sign(rsaA.privateKey, 'RS256', claims(ISS_A, SHARED_AUD), { kid: 'a' })), 'audience_mismatch', 401);
    await rejection(verifier.verify(await tokenC({ aud: AUD_A })), 'audience_mismatch', 401);
    await expect(verifier.verify(await tokenC())).resolves.toBeDefined();
  });

  it("each issuer has its own algorithms: PS256 is not A's, HS512 is not B's", async () => {
    const { serverA, issuers } = await setup();
    const verifier = multi(issuers);
    await rejection(verifier.verify(await sign(rsaA.privateKey, 'PS256', claims(ISS_A, AUD_A), { kid: 'a' })), 'algorithm_not_allowed', 401);
    await rejection(verifier.verify(await sign(SECRET_64, 'HS512', claims(ISS_B, AUD_B))), 'algorithm_not_allowed', 401);
    expect(serverA.hits).toBe(0);
  });

  it('an HS256 token claiming issuer A (RS256) is algorithm_not_allowed, even "signed" with A\'s public key; no fetch', async () => {
    const { serverA, serverC, issuers } = await setup();
    const verifier = multi(issuers);
    await rejection(verifier.verify(await sign(SECRET_32, 'HS256', claims(ISS_A, AUD_A))), 'algorithm_not_allowed', 401);
    await rejection(verifier.verify(await sign(SECRET_32, 'HS256', claims(ISS_A, AUD_A), { kid: 'a' })), 'algorithm_not_allowed', 401);
    const confusion = await sign(new TextEncoder().encode(rsaA.publicPem), 'HS256', claims(ISS_A, AUD_A), { kid: 'a' });
    await rejection(verifier.verify(confusion), 'algorithm_not_allowed', 401);
    await rejection(verifier.verify(await sign(SECRET_32, 'HS256', claims(ISS_C, SHARED_AUD))), 'algorithm_not_allowed', 401);
    expect(serverA.hits + serverC.hits).toBe(0);
  });

  it("an RS256 token claiming the HMAC issuer B is algorithm_not_allowed; A's key claiming C is checked against C's keys only", async () => {
    const { serverA, serverC, issuers } = await setup();
    const verifier = multi(issuers, { jwksCooldown: '1h' });
    await rejection(verifier.verify(await sign(rsaA.privateKey, 'RS256', claims(ISS_B, AUD_B), { kid: 'a' })), 'algorithm_not_allowed', 401);
    expect(serverA.hits + serverC.hits).toBe(0);
    await rejection(verifier.verify(await sign(rsaA.privateKey, 'RS256', claims(ISS_C, SHARED_AUD), { kid: 'a' })), 'key_not_found', 401);
    await rejection(verifier.verify(await sign(rsaA.privateKey, 'RS256', claims(ISS_C, SHARED_AUD), { kid: 'c' })), 'signature_invalid', 401);
    expect(serverA.hits).toBe(0);
    expect(serverC.hits).toBe(1);
  });

  it('a remote issuer that is down answers 503 for its tokens only', async () => {
    const { serverA, issuers } = await setup();
    serverA.fail = (res) => sendJson(res, 'down', 500);
    const verifier = multi(issuers);
    const error = await rejection(verifier.verify(await tokenA()), 'key_source_unavailable', 503);
    expect(error.hint).toBe(`JWKS ${serverA.url}: HTTP 500`);
    await expect(verifier.verify(await tokenB())).resolves.toBeDefined();
    await expect(verifier.verify(await tokenC())).resolves.toBeDefined();
  });

  it('an issuer may use discovery', async () => {
    const server = await endpoint([jwkA]);
    const issuer = `${server.origin}/tenant-a`;
    server.routes.set('/tenant-a/.well-known/openid-configuration', (res) => sendJson(res, { issuer, jwks_uri: server.url }));
    const verifier = multi([
      { issuer, discovery: true },
      { issuer: ISS_B, secret: SECRET_32, audience: AUD_B },
    ]);
    await expect(verifier.verify(await sign(rsaA.privateKey, 'RS256', claims(issuer, SHARED_AUD), { kid: 'a' }))).resolves.toBeDefined();
    await expect(verifier.verify(await tokenB())).resolves.toBeDefined();
    expect(server.hits).toBe(2);
  });
});

describe('several issuers: shared options', () => {
  it('clockTolerance applies to every issuer', async () => {
    const { issuers } = await setup();
    const expired = { exp: nowSeconds() - 10 };
    const tolerant = multi(issuers, { clockTolerance: 30 });
    await expect(tolerant.verify(await tokenA(expired))).resolves.toBeDefined();
    await expect(tolerant.verify(await tokenB(expired))).resolves.toBeDefined();
    const strict = multi(issuers);
    await rejection(strict.verify(await tokenA(expired)), 'token_expired', 401);
    await rejection(strict.verify(await tokenB(expired)), 'token_expired', 401);
  });

  it('typ applies to every issuer, and an issuer may set its own', async () => {
    const { issuers } = await setup();
    const verifier = multi(issuers, { typ: 'at+jwt' });
    await expect(verifier.verify(await tokenA({}, { typ: 'at+jwt' }))).resolves.toBeDefined();
    await expect(verifier.verify(await tokenB({}, { typ: 'at+jwt' }))).resolves.toBeDefined();
    await rejection(verifier.verify(await tokenA()), 'type_mismatch', 401);
    await rejection(verifier.verify(await tokenB()), 'type_mismatch', 401);

    const own = multi([issuers[0]!, { ...issuers[1]!, typ: 'JWT' }], { typ: 'at+jwt' });
    await expect(own.verify(await tokenB({}, { typ: 'JWT' }))).resolves.toBeDefined();
    await rejection(own.verify(await tokenB({}, { typ: 'at+jwt' })), 'type_mismatch', 401);
    await rejection(own.verify(await tokenA({}, { typ: 'JWT' })), 'type_mismatch', 401);
  });

  it('scopeClaim applies to every issuer', async () => {
    const { issuers } = await setup();
    const verifier = multi(issuers, { scopeClaim: 'perms' });
    const a = await verifier.verify(await tokenA({ perms: 'read write', scope: 'ignored' }));
    const b = await verifier.verify(await tokenB({ perms: 'admin' }));
    expect([...a.scopes]).toEqual(['read', 'write']);
    expect([...b.scopes]).toEqual(['admin']);
  });

  it('maxTokenLength applies to every issuer', async () => {
    const { issuers } = await setup();
    const verifier = multi(issuers, { maxTokenLength: 1500 });
    const padding = { note: 'x'.repeat(1200) };
    await rejection(verifier.verify(await tokenA(padding)), 'token_too_large', 401);
    await rejection(verifier.verify(await tokenB(padding)), 'token_too_large', 401);
    await expect(verifier.verify(await tokenB())).resolves.toBeDefined();
  });

  it('onKeyEvent, warmUp and the jwks* options apply to every remote issuer', async () => {
    const events = keyEventLog();
    const { serverA, serverC, issuers } = await setup();
    serverC.delayMs = 400;
    const verifier = multi(issuers, { warmUp: true, jwksTimeout: 0.2, onKeyEvent: events.onKeyEvent });
    await events.next('keys_fetch_failed');
    expect(serverA.hits).toBe(1);
    expect(serverC.hits).toBe(1);
    expect(events.events).toEqual([
      { type: 'keys_fetched', url: serverA.url, keyCount: 1, durationMs: expect.any(Number) },
      expect.objectContaining({ type: 'keys_fetch_failed', url: serverC.url, reason: 'timeout: no answer within jwksTimeout' }),
    ]);
    await expect(verifier.verify(await tokenA())).resolves.toBeDefined();
    expect(serverA.hits).toBe(1);
  });
});

describe('several issuers: ready()', () => {
  it('waits for every remote issuer', async () => {
    const { serverA, serverC, issuers } = await setup();
    serverA.delayMs = 300;
    serverC.delayMs = 100;
    const events = keyEventLog();
    const verifier = multi(issuers, { onKeyEvent: events.onKeyEvent });
    const started = performance.now();
    await verifier.ready();
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    expect(events.of('keys_fetched').map((event) => event.url).sort()).toEqual([serverA.url, serverC.url].sort());
    expect(serverA.hits).toBe(1);
    expect(serverC.hits).toBe(1);
  });

  it('rejects with key_source_unavailable when one issuer cannot be reached', async () => {
    const { serverA, serverC, issuers } = await setup();
    serverC.fail = (res) => sendJson(res, 'down', 503);
    const error = await rejection(multi(issuers).ready(), 'key_source_unavailable', 503);
    expect(error.hint).toBe(`JWKS ${serverC.url}: HTTP 503`);
    expect(serverA.hits).toBe(1);
  });

  it('resolves at once when every issuer has its keys in the options', async () => {
    const verifier = multi([
      { issuer: ISS_A, publicKey: rsaA.publicPem },
      { issuer: ISS_B, secret: SECRET_32 },
    ]);
    const first = await Promise.race([verifier.ready().then(() => 'ready'), new Promise((resolve) => setTimeout(resolve, 0, 'timer'))]);
    expect(first).toBe('ready');
  });
});

describe('several issuers: configuration errors', () => {
  const a: IssuerOptions = { issuer: ISS_A, jwksUri: 'https://a.example.com/jwks' };
  const b: IssuerOptions = { issuer: ISS_B, secret: SECRET_32 };

  it.each<[string, () => unknown, RegExp]>([
    ['issuer and issuers together', () => multi([a, b], { issuer: ISS_A }), /give either issuer or issuers, not both/],
    ['issuer: false and issuers together', () => multi([a, b], { issuer: false }), /give either issuer or issuers, not both/],
    ['jwksUri at the top level', () => multi([a, b], { jwksUri: 'https://a.example.com/jwks' }), /jwksUri must be set inside each issuers\[\] entry/],
    ['secret at the top level', () => multi([a, b], { secret: SECRET_32 }), /secret must be set inside each issuers\[\] entry/],
    ['discovery at the top level', () => multi([a, b], { discovery: true }), /discovery must be set inside each issuers\[\] entry/],
    ['publicKey and jwks at the top level', () => multi([a, b], { publicKey: rsaA.publicPem, jwks: { keys: [jwkA] } }), /publicKey, jwks must be set inside/],
    ['an empty list', () => multi([]), /issuers must be a non-empty array/],
    ['a list that is not an array', () => multi(a as never), /issuers must be a non-empty array/],
    ['a duplicate issuer', () => multi([a, b, { ...a, jwksUri: 'https://other.example.com/jwks' }]), /^jwt-guard configuration: issuers\[2\]: the issuer "https:\/\/a\.example\.com\/" is listed twice\.$/],
    ['an entry without issuer', () => multi([a, { secret: SECRET_32 } as never]), /issuers\[1\]\.issuer must be the issuer's "iss" string/],
    ['an entry with an empty issuer', () => multi([{ ...a, issuer: '' }]), /issuers\[0\]\.issuer must be/],
    ['an entry that is not an object', () => multi([a, 'https://b.example.com/' as never]), /issuers\[1\]\.issuer must be/],
    ['an unknown per-issuer option', () => multi([a, { ...b, audiences: AUD_B } as never]), /issuers\[1\]: "audiences" cannot be set per issuer \(allowed: /],
    ['a shared-only option inside an issuer', () => multi([{ ...a, clockTolerance: 30 } as never, b]), /issuers\[0\]: "clockTolerance" cannot be set per issuer/],
    ['a weak secret inside one issuer', () => multi([a, { issuer: ISS_B, secret: 'too-short' }]), /^jwt-guard configuration: issuers\[1\] \(https:\/\/b\.example\.com\/\): the HMAC secret is 9 bytes; HS256 needs at least 32/],
    ['an entry without a key source', () => multi([a, { issuer: ISS_B }]), /^jwt-guard configuration: issuers\[1\] \(https:\/\/b\.example\.com\/\): no key source/],
    ['an entry with two key sources', () => multi([{ ...a, secret: SECRET_32 }, b]), /issuers\[0\] \(https:\/\/a\.example\.com\/\): secret and jwksUri are both set/],
    ['an entry mixing HMAC algorithms with a JWKS', () => multi([{ ...a, algorithms: ['HS256'] }, b]), /issuers\[0\] \(.*\): algorithms lists an HMAC algorithm with public keys/],
    ['no audience, neither shared nor per issuer', () => createVerifier({ issuers: [a, b] }), /issuers\[0\] \(https:\/\/a\.example\.com\/\): audience is required/],
    ['an unknown top-level option', () => multi([a, b], { audiences: SHARED_AUD } as never), /unknown option "audiences"/],
  ])('refuses %s', (_label, create, message) => {
    const error = configError(create);
    expect(error.message).toMatch(message);
  });
});
