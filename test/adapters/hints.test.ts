import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES, fromCookie, fromHeader, memoryRevocationStore, type ErrorCode, type GuardOptions, type RejectedEvent } from '@jwt-guard/core';
import { inspectToken } from '@jwt-guard/cli';
import { createTestIssuer, type TestIssuer } from '@jwt-guard/testing';
import { ADAPTERS, startApp, type AdapterName, type TestApp } from './apps.js';

/**
 * Issue 14, item 1: every refusal a request can get reaches `onRejected` with a developer hint that
 * says what was expected and what was received (where that is safe to log), never the token. One
 * table, run against Express, Koa and Fastify.
 */

const LOCAL_ISSUER = 'http://localhost:3002/';
const AUDIENCE = 'orders-api';
/** A base64url secret, as `keygen` and `randomBytes(32).toString('base64url')` make them. */
const SECRET_TEXT = randomBytes(32).toString('base64url');

let rs: TestIssuer;
let es: TestIssuer;
let stranger: TestIssuer;

interface Fixture {
  rs: TestIssuer;
  es: TestIssuer;
  stranger: TestIssuer;
}

interface HintRequest {
  method?: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
}

interface HintCase {
  name: string;
  code: ErrorCode;
  options: (fx: Fixture) => GuardOptions;
  request: (fx: Fixture) => Promise<HintRequest>;
  /** What the hint must say: the expected-vs-received content for the key cases. */
  hint: RegExp;
}

const now = () => Math.floor(Date.now() / 1000);
const bearer = async (token: Promise<string> | string, path = '/me') => ({ path, headers: { authorization: `Bearer ${await token}` } });
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const hs256 = (claims: Record<string, unknown>, key: Uint8Array, kid?: string) =>
  new SignJWT(claims).setProtectedHeader(kid === undefined ? { alg: 'HS256' } : { alg: 'HS256', kid }).sign(key);

/** A store that cannot answer: fail-closed gives 503 revocation_unavailable. */
const downStore = () => ({ ...memoryRevocationStore(), check: () => 'unknown' as const });

/** A clock that works at start-up and then stops giving a valid time. */
function brokenLaterClock(): () => Date {
  let calls = 0;
  return () => (calls++ === 0 ? new Date() : new Date(Number.NaN));
}

const CASES: HintCase[] = [
  { name: 'no token at all', code: 'token_missing', options: (fx) => fx.rs.verifierOptions(), request: async () => ({ path: '/me', headers: {} }), hint: /no token was found in the Authorization header/ },
  {
    name: 'a Bearer header while getToken reads a cookie',
    code: 'token_missing',
    options: (fx) => ({ ...fx.rs.verifierOptions(), getToken: fromCookie('access_token') }),
    request: (fx) => bearer(fx.rs.sign()),
    hint: /^the token is in the Authorization header but getToken reads the access_token cookie/,
  },
  {
    name: 'cookie mode, no cookie: advice about the cookie, not a Bearer header',
    code: 'token_missing',
    options: (fx) => ({ ...fx.rs.verifierOptions(), getToken: fromCookie('access_token') }),
    request: async () => ({ path: '/me', headers: {} }),
    hint: /^no token was found in the access_token cookie; send the token in the access_token cookie — check the cookie's Path, Domain, SameSite and Secure attributes .*~4 KiB cookie size limit(?!.*Bearer)/,
  },
  {
    name: 'cookie mode, Basic credentials: still the cookie advice',
    code: 'token_missing',
    options: (fx) => ({ ...fx.rs.verifierOptions(), getToken: fromCookie('access_token') }),
    request: async () => ({ path: '/me', headers: { authorization: 'Basic dXNlcjpwYXNz' } }),
    hint: /^no token was found in the access_token cookie; send the token in the access_token cookie(?!.*Bearer)/,
  },
  {
    name: 'header mode, no header: advice about that header, not a Bearer header',
    code: 'token_missing',
    options: (fx) => ({ ...fx.rs.verifierOptions(), getToken: fromHeader('x-access-token') }),
    request: async () => ({ path: '/me', headers: {} }),
    hint: /^no token was found in the x-access-token header; send the token in the x-access-token header(?!.*Bearer)/,
  },
  { name: 'Basic credentials', code: 'token_missing', options: (fx) => fx.rs.verifierOptions(), request: async () => ({ path: '/me', headers: { authorization: 'Basic dXNlcjpwYXNz' } }), hint: /the Authorization header uses the "Basic" scheme, not Bearer/ },
  { name: 'an opaque token', code: 'token_malformed', options: (fx) => fx.rs.verifierOptions(), request: () => bearer('2YotnFZFEjr1zCsicMWpAA'), hint: /opaque/ },
  { name: 'an oversized token', code: 'token_too_large', options: (fx) => fx.rs.verifierOptions(), request: () => bearer(`${'a'.repeat(5000)}.${'b'.repeat(5000)}.c`), hint: /10003 characters; maxTokenLength is 8192/ },
  { name: 'an expired token', code: 'token_expired', options: (fx) => fx.rs.verifierOptions(), request: (fx) => bearer(fx.rs.expiredToken()), hint: /^the token expired 1 h ago \(exp \d+\); get a new one/ },
  { name: 'a token valid only later', code: 'token_not_yet_valid', options: (fx) => fx.rs.verifierOptions(), request: (fx) => bearer(fx.rs.notYetValidToken()), hint: /^the token is not valid until 1 h from now \(nbf\)/ },
  {
    name: 'HS256: the kid matched but the secret is base64url text used as UTF-8 on one side',
    code: 'signature_invalid',
    options: () => ({ secret: [{ kid: 'k1', secret: SECRET_TEXT }], issuer: LOCAL_ISSUER, audience: AUDIENCE }),
    request: () => bearer(hs256({ iss: LOCAL_ISSUER, aud: AUDIENCE, exp: now() + 300 }, Buffer.from(SECRET_TEXT, 'base64url'), 'k1')),
    hint: /kid "k1" was found, but its bytes are not the signer's — .*a string secret's UTF-8 bytes are the key, so a base64url.*must be decoded first \(secretFromEnv\(name, \{ encoding: 'base64url' \}\)\)/,
  },
  {
    name: 'RS256: a tampered payload',
    code: 'signature_invalid',
    options: (fx) => fx.rs.verifierOptions(),
    request: async (fx) => {
      const [header, , signature] = (await fx.rs.sign()).split('.');
      return bearer(`${header}.${b64({ iss: fx.rs.issuer, aud: fx.rs.audience, sub: 'admin', exp: now() + 300 })}.${signature}`);
    },
    hint: /was found, but its bytes are not the signer's|signed with another key or secret, or was altered/,
  },
  { name: 'an ES256 token where RS256 is allowed', code: 'algorithm_not_allowed', options: (fx) => fx.rs.verifierOptions(), request: (fx) => bearer(fx.es.sign({ iss: fx.rs.issuer, aud: fx.rs.audience })), hint: /header alg "ES256"; allowed: RS256/ },
  {
    name: 'an issuer without the trailing slash',
    code: 'issuer_mismatch',
    options: (fx) => ({ ...fx.rs.verifierOptions(), issuer: LOCAL_ISSUER }),
    request: (fx) => bearer(fx.rs.sign({ iss: 'http://localhost:3002' })),
    hint: /^the token's iss is "http:\/\/localhost:3002" but "http:\/\/localhost:3002\/" is expected; .*a trailing slash counts/,
  },
  {
    name: 'a token for another API',
    code: 'audience_mismatch',
    options: (fx) => ({ ...fx.rs.verifierOptions(), audience: AUDIENCE }),
    request: (fx) => bearer(fx.rs.sign({ aud: 'billing-api' })),
    hint: /^the token's aud is "billing-api" but "orders-api" is expected; /,
  },
  { name: 'a token without exp', code: 'claim_missing', options: (fx) => fx.rs.verifierOptions(), request: (fx) => bearer(fx.rs.sign({}, { expiresIn: null })), hint: /^the token has no "exp" claim \(exp is required: tokens must expire\)/ },
  { name: 'exp as a string', code: 'claim_invalid', options: (fx) => fx.rs.verifierOptions(), request: (fx) => bearer(fx.rs.sign({ exp: 'soon' }, { expiresIn: null })), hint: /^the exp claim is "soon", not a number of seconds since 1970/ },
  {
    name: 'a plain JWT where at+jwt is required',
    code: 'type_mismatch',
    options: (fx) => ({ ...fx.rs.verifierOptions(), typ: 'at+jwt' }),
    request: (fx) => bearer(fx.rs.sign()),
    hint: /^the token's typ header is "JWT" but "at\+jwt" is expected; /,
  },
  { name: 'an unknown kid', code: 'key_not_found', options: (fx) => fx.rs.verifierOptions(), request: (fx) => bearer(fx.stranger.sign({ iss: fx.rs.issuer, aud: fx.rs.audience })), hint: /^no configured key matches the token's kid "stranger-key" and alg "RS256"; the issuer may have rotated keys/ },
  {
    name: 'a revoked jti',
    code: 'token_revoked',
    options: (fx) => {
      const store = memoryRevocationStore();
      store.applyRevoke('revoked-jti', now() + 300);
      return { ...fx.rs.verifierOptions(), revocation: { store } };
    },
    request: (fx) => bearer(fx.rs.sign({ jti: 'revoked-jti' })),
    hint: /^the token is on the revocation denylist \(jti "revoked-jti", sub "user-1"\)/,
  },
  { name: 'a revocation store that cannot answer', code: 'revocation_unavailable', options: (fx) => ({ ...fx.rs.verifierOptions(), revocation: { store: downStore() } }), request: (fx) => bearer(fx.rs.sign({ jti: 'j-1' })), hint: /revocation store is unreachable/ },
  {
    name: 'a missing scope',
    code: 'insufficient_scope',
    options: (fx) => fx.rs.verifierOptions(),
    request: async (fx) => bearer(fx.rs.tokenWithScopes('profile'), '/orders'),
    hint: /^the route requires all of "orders:read" but the token has "profile"; /,
  },
  {
    name: 'a claim that does not match',
    code: 'claim_mismatch',
    options: (fx) => fx.rs.verifierOptions(),
    request: (fx) => bearer(fx.rs.sign({ role: 'user' }), '/admin'),
    hint: /^a requireClaim check failed: the token's "role" is "user" but "admin" is required; /,
  },
  {
    name: 'a step-up route and a weaker acr',
    code: 'insufficient_user_authentication',
    options: (fx) => fx.rs.verifierOptions(),
    request: (fx) => bearer(fx.rs.sign({ acr: 'pwd' }), '/mfa'),
    hint: /^the token's acr is "pwd" but "phr" or "phrh" is required; the client should send the user to the authorization server again/,
  },
  {
    name: 'a step-up route and an old authentication',
    code: 'insufficient_user_authentication',
    options: (fx) => fx.rs.verifierOptions(),
    request: (fx) => bearer(fx.rs.sign({ auth_time: now() - 3600 }), '/recent-login'),
    hint: /^the user authenticated 1 h ago, more than maxAge \(5 min\) ago; /,
  },
  { name: '"Bearer" without a token', code: 'invalid_request', options: (fx) => fx.rs.verifierOptions(), request: async () => ({ path: '/me', headers: { authorization: 'Bearer' } }), hint: /the request is malformed \(The Authorization header is malformed; expected "Bearer <token>"\.\)/ },
  {
    name: 'a token in the header and the query',
    code: 'invalid_request',
    options: (fx) => fx.rs.verifierOptions(),
    request: async (fx) => {
      const token = await fx.rs.sign();
      return { path: `/me?access_token=${token}`, headers: { authorization: `Bearer ${token}` } };
    },
    hint: /Authorization header and access_token query parameter/,
  },
  {
    name: 'a JWKS endpoint that is down',
    code: 'key_source_unavailable',
    options: (fx) => ({ ...fx.rs.verifierOptions(), jwks: undefined, jwksUri: 'http://127.0.0.1:9/.well-known/jwks.json', algorithms: ['RS256'] }),
    request: (fx) => bearer(fx.rs.sign()),
    hint: /^JWKS http:\/\/127\.0\.0\.1:9\/\.well-known\/jwks\.json: /,
  },
  {
    name: 'a cross-site POST with the token in a cookie',
    code: 'csrf_check_failed',
    options: (fx) => ({ ...fx.rs.verifierOptions(), getToken: fromCookie('access_token') }),
    request: async (fx) => ({ method: 'POST', path: '/orders', headers: { cookie: `access_token=${await fx.rs.tokenWithScopes('orders:write')}`, 'sec-fetch-site': 'cross-site' } }),
    hint: /^Sec-Fetch-Site was "cross-site" on a POST with the token in a cookie: a page of another site sent it; /,
  },
  {
    name: 'a POST with the token in a cookie from an untrusted Origin',
    code: 'csrf_check_failed',
    options: (fx) => ({ ...fx.rs.verifierOptions(), getToken: fromCookie('access_token'), csrf: { trustedOrigins: ['https://app.example.com'] } }),
    request: async (fx) => ({ method: 'POST', path: '/orders', headers: { cookie: `access_token=${await fx.rs.tokenWithScopes('orders:write')}`, origin: 'https://app.example.com.evil.test' } }),
    hint: /^no Sec-Fetch-Site was sent, and Origin "https:\/\/app\.example\.com\.evil\.test" on a POST .* is not among csrf\.trustedOrigins \("https:\/\/app\.example\.com"\)/,
  },
  {
    name: 'a detector that can block, and a clientAddress resolver that throws',
    code: 'detection_unavailable',
    options: (fx) => ({
      ...fx.rs.verifierOptions(),
      detect: {
        clientAddress: () => {
          throw new Error('no address');
        },
        forgeryProbe: { respond: 'block-client' },
      },
    }),
    request: (fx) => bearer(fx.rs.sign()),
    hint: /^detect\.clientAddress gave no address \(it threw\), so the guard cannot tell whether the client is blocked/,
  },
  {
    name: 'a certificate-bound token (RFC 8705) over plain HTTP: no client certificate',
    code: 'token_binding_invalid',
    options: (fx) => fx.rs.verifierOptions(),
    request: (fx) => bearer(fx.rs.sign({ cnf: { 'x5t#S256': 'A'.repeat(43) } })),
    hint: /^the token is bound to a client certificate \(cnf x5t#S256\) but none was presented: the connection is not TLS/,
  },
  { name: 'a clock that stopped giving a valid time', code: 'clock_invalid', options: (fx) => ({ ...fx.rs.verifierOptions(), currentDate: brokenLaterClock() }), request: (fx) => bearer(fx.rs.sign()), hint: /currentDate gave no valid time/ },
];

/**
 * The codes a request can get: all but `config_invalid`, which is thrown at start-up, and
 * `client_blocked`, which takes earlier requests to trip a detector (its hint is asserted in
 * detection.test.ts, through every adapter).
 */
const REQUEST_TIME_CODES = (Object.keys(ERROR_CODES) as ErrorCode[]).filter((code) => code !== 'config_invalid' && code !== 'client_blocked');

beforeAll(async () => {
  [rs, es, stranger] = await Promise.all([
    createTestIssuer({ algorithm: 'RS256' }),
    createTestIssuer({ algorithm: 'ES256' }),
    createTestIssuer({ algorithm: 'RS256', kid: 'stranger-key' }),
  ]);
});
afterAll(async () => {
  await Promise.all([rs, es, stranger].map((issuer) => issuer.close()));
});

describe('a hint in every refusal (issue 14, item 1)', () => {
  it('the table covers every ErrorCode a request can get', () => {
    expect([...new Set(CASES.map((testCase) => testCase.code))].sort()).toEqual([...REQUEST_TIME_CODES].sort());
  });

  it.each(CASES.map((testCase) => [testCase.name, testCase] as const))('%s', async (_name, testCase) => {
    const fx = { rs, es, stranger };
    const req = await testCase.request(fx);
    const token = req.headers.authorization?.replace(/^bearer\s*/i, '') ?? /access_token=([^;]+)/.exec(req.headers.cookie ?? '')?.[1] ?? '';
    for (const adapter of ADAPTERS) {
      const event = await rejectionOf(adapter, testCase.options(fx), req);
      expect(event.code, adapter).toBe(testCase.code);
      expect(event.hint, adapter).toEqual(expect.any(String));
      expect(event.hint!.length, adapter).toBeGreaterThan(10);
      expect(event.hint, adapter).toMatch(testCase.hint);
      expect(event.hint, adapter).not.toMatch(/[\r\n]|\s\s/);
      // Never the token, nor its signature, in a hint or anywhere in the logged event.
      const logged = JSON.stringify({ ...event, error: undefined });
      if (token.length > 20) {
        expect(logged, adapter).not.toContain(token);
        const signature = token.split('.')[2];
        if (signature !== undefined && signature.length > 16) expect(logged, adapter).not.toContain(signature);
      }
      // Nor the secret, in either of its spellings.
      expect(logged, adapter).not.toContain(SECRET_TEXT);
      expect(logged, adapter).not.toContain(Buffer.from(SECRET_TEXT, 'base64url').toString('hex'));
    }
  });

  it('the CLI (inspect) and the hook explain the same refusal with the same words: one module', async () => {
    const secret = randomBytes(32).toString('base64url');
    const key = new TextEncoder().encode(secret);
    const at = new Date();
    const exp = now() + 600;
    const cases: [ErrorCode, Record<string, unknown>, { typ?: string }][] = [
      ['issuer_mismatch', { iss: 'http://localhost:3002', aud: AUDIENCE, exp }, {}],
      ['audience_mismatch', { iss: LOCAL_ISSUER, aud: ['billing-api', 'x'], exp }, {}],
      ['type_mismatch', { iss: LOCAL_ISSUER, aud: AUDIENCE, exp }, { typ: 'at+jwt' }],
      ['claim_missing', { iss: LOCAL_ISSUER, aud: AUDIENCE }, {}],
      ['claim_invalid', { iss: LOCAL_ISSUER, aud: AUDIENCE, exp: 'tomorrow' }, {}],
    ];
    for (const [code, claims, extra] of cases) {
      const token = await hs256(claims, key);
      const cli = await inspectToken(token, { issuer: [LOCAL_ISSUER], audience: [AUDIENCE], secret, now: at, ...extra });
      expect(cli.error?.code, code).toBe(code);
      for (const adapter of ADAPTERS) {
        const event = await rejectionOf(adapter, { secret, issuer: LOCAL_ISSUER, audience: AUDIENCE, currentDate: at, ...extra }, await bearer(token));
        expect(event.code, `${code} ${adapter}`).toBe(code);
        expect(cli.error?.explanation, `${code} ${adapter}`).toBe(`${code}: ${event.hint}`);
      }
    }
  });
});

/** Starts the adapter's app with `options`, sends the request, and returns the one refusal reported. */
async function rejectionOf(adapter: AdapterName, options: GuardOptions, req: HintRequest): Promise<RejectedEvent> {
  const events: RejectedEvent[] = [];
  const app: TestApp = await startApp(adapter, { ...options, onRejected: (event) => events.push(event) });
  try {
    let pending = req.method === 'POST' ? request(app.server).post(req.path) : request(app.server).get(req.path);
    for (const [name, value] of Object.entries(req.headers)) pending = pending.set(name, value);
    await pending;
  } finally {
    await app.close();
  }
  expect(events, adapter).toHaveLength(1);
  return events[0]!;
}
