import { createHmac } from 'node:crypto';
import type { ErrorCode, GuardOptions } from '@jwt-guard/core';
import { certificateFromHeader, createCsrfToken, fromCookie, memoryRevocationStore, type RevocationStore } from '@jwt-guard/core';
import { createTestIssuer, type TestAlgorithm, type TestIssuer } from '@jwt-guard/testing';
import { CLIENT_A, CLIENT_B } from '../fixtures/tls/certificates.js';

/**
 * The one table of cases every adapter must answer identically. Each case names the guard
 * configuration it runs under, builds its request from the fixtures, and states the verdict.
 */
export interface Fixtures {
  issuers: Record<'HS256' | 'RS256' | 'PS256' | 'ES256' | 'EdDSA', TestIssuer>;
  /** A second RS256 issuer whose keys the guard does not know. */
  stranger: TestIssuer;
  /** A JWKS URL on a port nothing listens on. */
  deadJwksUri: string;
  /** Denylist with jti 'revoked-jti' and subject 'logged-out-user' revoked. */
  revocationStore: RevocationStore;
  close(): Promise<void>;
}

export type ConfigName =
  | 'HS256' | 'RS256' | 'PS256' | 'ES256' | 'EdDSA'
  | 'RS256-jwksUri' | 'RS256-realm' | 'RS256-at+jwt' | 'RS256-optional' | 'RS256-anonymous'
  | 'RS256-cookie' | 'RS256-cookie-origins' | 'RS256-cookie-samesite' | 'RS256-cookie-nocsrf' | 'RS256-cookie-token' | 'RS256-cookie-form'
  | 'dead-jwksUri' | 'RS256-revocation' | 'RS256-fixed-clock' | 'RS256-mtls-header';

/** The one origin the 'RS256-cookie-origins' guard trusts. */
export const APP_ORIGIN = 'https://app.example.com';
/** The 'RS256-fixed-clock' guard's time (currentDate), in seconds: 2030-01-01T00:00:00Z, years from the machine's. */
export const FIXED_NOW = Date.UTC(2030, 0, 1) / 1000;
/** The 'RS256-cookie-token' guard's CSRF token secret. */
const CSRF_TOKEN_SECRET = 'Tq4mW9zR2vX7cB1nL6kJ3hG8fD5sA0pE';

export function configFor(name: ConfigName, fx: Fixtures): GuardOptions {
  const rs = fx.issuers.RS256;
  switch (name) {
    case 'HS256': case 'RS256': case 'PS256': case 'ES256': case 'EdDSA':
      return fx.issuers[name].verifierOptions();
    case 'RS256-jwksUri': return rs.verifierOptions({ source: 'jwksUri' });
    case 'RS256-realm': return { ...rs.verifierOptions(), realm: 'orders-api' };
    case 'RS256-at+jwt': return { ...rs.verifierOptions(), typ: 'at+jwt' };
    case 'RS256-optional': return { ...rs.verifierOptions(), credentialsRequired: false };
    case 'RS256-anonymous': return { ...rs.verifierOptions(), credentialsRequired: false, anonymousOnInvalidToken: true };
    case 'RS256-cookie': return { ...rs.verifierOptions(), getToken: fromCookie('access_token') };
    case 'RS256-cookie-origins': return { ...rs.verifierOptions(), getToken: fromCookie('access_token'), csrf: { trustedOrigins: [APP_ORIGIN], allowSameSite: false } };
    case 'RS256-cookie-samesite': return { ...rs.verifierOptions(), getToken: fromCookie('access_token'), csrf: { allowSameSite: true } };
    case 'RS256-cookie-nocsrf': return { ...rs.verifierOptions(), getToken: fromCookie('access_token'), csrf: false };
    case 'RS256-cookie-token': return { ...rs.verifierOptions(), getToken: fromCookie('access_token'), csrf: { token: { secret: CSRF_TOKEN_SECRET } } };
    case 'RS256-cookie-form': return { ...rs.verifierOptions(), getToken: fromCookie('access_token'), csrf: { token: { secret: CSRF_TOKEN_SECRET, fieldName: '_csrf' } } };
    case 'RS256-revocation': return { ...rs.verifierOptions(), revocation: { store: fx.revocationStore } };
    case 'RS256-fixed-clock': return { ...rs.verifierOptions(), currentDate: new Date(FIXED_NOW * 1000) };
    // The table's apps are plain HTTP: the client certificate comes as a TLS-terminating proxy forwards it (real TLS: mtls.test.ts).
    case 'RS256-mtls-header': return { ...rs.verifierOptions(), mtls: { certificate: certificateFromHeader('x-client-cert') } };
    case 'dead-jwksUri': return { ...rs.verifierOptions(), jwks: undefined, jwksUri: fx.deadJwksUri, algorithms: ['RS256'] };
  }
}

export interface CaseRequest {
  method?: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';
  path: string;
  headers?: Record<string, string>;
  /** Sent as is; give its content-type in headers. */
  body?: string;
}

export interface Case {
  name: string;
  config: ConfigName;
  request: (fx: Fixtures) => Promise<CaseRequest> | CaseRequest;
  status: number;
  /** The error code in the JSON body, for refusals. */
  code?: ErrorCode;
  /** The exact `WWW-Authenticate` value, or a pattern it must match; `null` = header must be absent. */
  wwwAuthenticate?: string | RegExp | null;
  /** The exact JSON body of a success. */
  body?: unknown;
  /** The exact `Vary` value; `null` = header must be absent. Unchecked when left out. */
  vary?: string | null;
}

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
const CSRF_VARY = 'Origin, Sec-Fetch-Site';
/** A POST /orders with a write-scoped token in the access_token cookie, plus `headers` (Fetch Metadata, Origin). */
const cookiePost = async (fx: Fixtures, headers: Record<string, string> = {}, token?: Promise<string> | string): Promise<CaseRequest> => ({
  method: 'POST',
  path: '/orders',
  headers: { cookie: `access_token=${await (token ?? fx.issuers.RS256.tokenWithScopes('orders:write'))}`, ...headers },
});
const CSRF_REFUSED = { status: 403, code: 'csrf_check_failed', wwwAuthenticate: null, vary: CSRF_VARY } as const;
const WRITTEN = { status: 201, body: { sub: 'user-1', scopes: ['orders:write'] }, vary: CSRF_VARY } as const;
/** A same-origin POST /orders whose write-scoped cookie token belongs to session `session-a`, plus `headers`. */
const sessionPost = (fx: Fixtures, headers: Record<string, string> = {}) =>
  cookiePost(fx, { 'sec-fetch-site': 'same-origin', ...headers }, fx.issuers.RS256.sign({ scope: 'orders:write', sid: 'session-a' }));
const csrfTokenOf = (sid: string) => createCsrfToken(CSRF_TOKEN_SECRET, sid);
/** `sessionPost` as an HTML form would send it: an urlencoded body, e.g. `item=tea&_csrf=…`. */
const formPost = async (fx: Fixtures, form: string, headers: Record<string, string> = {}): Promise<CaseRequest> => {
  const req = await sessionPost(fx, { 'content-type': 'application/x-www-form-urlencoded', ...headers });
  return { ...req, body: form };
};
const me = async (token: Promise<string> | string): Promise<CaseRequest> => ({ path: '/me', headers: bearer(await token) });
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const inFiveMinutes = () => Math.floor(Date.now() / 1000) + 300;
const invalidToken = (description: string) => `Bearer error="invalid_token", error_description="${description}"`;
/** The challenge of a requireAuthLevel refusal (RFC 9470 §3), its parameters after the description. */
const stepUp = (params: string, realm = '') =>
  `Bearer ${realm}error="insufficient_user_authentication", error_description="The request requires a stronger or more recent authentication of the user.", ${params}`;
const STEP_UP_REFUSED = { status: 401, code: 'insufficient_user_authentication' } as const;
/** A request to a step-up route with an RS256 token carrying `claims` (acr, auth_time). */
const stepUpRequest = async (fx: Fixtures, path: string, claims: Record<string, unknown>) => me(fx.issuers.RS256.sign(claims)).then((req) => ({ ...req, path }));
/** GET /me with an RS256 token bound to client-a's certificate, and `certificate` (PEM) URL-encoded in x-client-cert. */
const boundRequest = async (fx: Fixtures, certificate?: string): Promise<CaseRequest> => {
  const headers = bearer(await fx.issuers.RS256.sign({ cnf: { 'x5t#S256': CLIENT_A.thumbprint } }));
  return { path: '/me', headers: certificate === undefined ? headers : { ...headers, 'x-client-cert': encodeURIComponent(certificate) } };
};
const BINDING_REFUSED = { status: 401, code: 'token_binding_invalid', wwwAuthenticate: invalidToken('The access token is bound to a client certificate that the request did not present.') } as const;
const secondsAgo = (seconds: number) => Math.floor(Date.now() / 1000) - seconds;

/** Re-signs a token's header and payload with HMAC under `secret`: the classic alg-confusion forgery. */
function hmacForgery(header: object, payload: object, secret: string | Uint8Array): string {
  const signingInput = `${b64(header)}.${b64(payload)}`;
  return `${signingInput}.${createHmac('sha256', secret).update(signingInput).digest('base64url')}`;
}

function claimsOf(fx: Fixtures, extra: object = {}) {
  const rs = fx.issuers.RS256;
  return { iss: rs.issuer, aud: rs.audience, sub: 'user-1', exp: inFiveMinutes(), ...extra };
}

const VALID_BODY = { sub: 'user-1', scopes: [] };

export const CASES: Case[] = [
  // Valid tokens, one per algorithm family, and each key source.
  ...(['HS256', 'RS256', 'PS256', 'ES256', 'EdDSA'] as const).map(
    (alg): Case => ({
      name: `valid ${alg} token`,
      config: alg,
      request: (fx) => me(fx.issuers[alg].sign()),
      status: 200,
      body: VALID_BODY,
    }),
  ),
  { name: 'valid RS256 token, keys from jwksUri', config: 'RS256-jwksUri', request: (fx) => me(fx.issuers.RS256.sign()), status: 200, body: VALID_BODY },
  { name: 'public route without token', config: 'RS256', request: () => ({ path: '/public' }), status: 200, body: { public: true } },
  { name: 'bearer scheme is case-insensitive', config: 'RS256', request: async (fx) => ({ path: '/me', headers: { authorization: `bEaReR ${await fx.issuers.RS256.sign()}` } }), status: 200, body: VALID_BODY },

  // Scopes and claims.
  { name: 'scope orders:read grants GET /orders', config: 'RS256', request: async (fx) => ({ path: '/orders', headers: bearer(await fx.issuers.RS256.tokenWithScopes('orders:read')) }), status: 200, body: { sub: 'user-1', scopes: ['orders:read'] } },
  { name: 'scope orders:write grants POST /orders', config: 'RS256', request: async (fx) => ({ method: 'POST', path: '/orders', headers: bearer(await fx.issuers.RS256.tokenWithScopes('orders:read', 'orders:write')) }), status: 201, body: { sub: 'user-1', scopes: ['orders:read', 'orders:write'] } },
  { name: 'scp array and permissions count as scopes', config: 'RS256', request: async (fx) => ({ path: '/orders', headers: bearer(await fx.issuers.RS256.sign({ scp: ['orders:read'], permissions: ['x:y'] })) }), status: 200, body: { sub: 'user-1', scopes: ['orders:read', 'x:y'] } },
  { name: 'missing scope is 403 insufficient_scope naming the scope', config: 'RS256', request: async (fx) => ({ path: '/orders', headers: bearer(await fx.issuers.RS256.tokenWithScopes('profile')) }), status: 403, code: 'insufficient_scope', wwwAuthenticate: 'Bearer error="insufficient_scope", error_description="The access token does not have the scope this request requires.", scope="orders:read"' },
  { name: 'read scope does not grant a write', config: 'RS256', request: async (fx) => ({ method: 'POST', path: '/orders', headers: bearer(await fx.issuers.RS256.tokenWithScopes('orders:read')) }), status: 403, code: 'insufficient_scope', wwwAuthenticate: /scope="orders:write"$/ },
  { name: 'any-of scopes: one is enough', config: 'RS256', request: async (fx) => ({ path: '/reports', headers: bearer(await fx.issuers.RS256.tokenWithScopes('admin')) }), status: 200, body: { sub: 'user-1', scopes: ['admin'] } },
  { name: 'any-of scopes: none is 403 listing them', config: 'RS256', request: async (fx) => ({ path: '/reports', headers: bearer(await fx.issuers.RS256.tokenWithScopes('orders:read')) }), status: 403, code: 'insufficient_scope', wwwAuthenticate: /scope="reports:read admin"$/ },
  { name: 'claim check passes', config: 'RS256', request: async (fx) => ({ path: '/admin', headers: bearer(await fx.issuers.RS256.sign({ role: 'admin' })) }), status: 200, body: VALID_BODY },
  { name: 'claim check fails with 403, not 401', config: 'RS256', request: async (fx) => ({ path: '/admin', headers: bearer(await fx.issuers.RS256.sign({ role: 'user' })) }), status: 403, code: 'claim_mismatch', wwwAuthenticate: /^Bearer error="insufficient_scope"/ },

  // Step-up authentication (RFC 9470): requireAuthLevel on /mfa (acr phr or phrh), /recent-login (maxAge 5m), /transfer (acr phrh and maxAge 300).
  { name: 'step-up: an accepted acr passes', config: 'RS256', request: (fx) => stepUpRequest(fx, '/mfa', { acr: 'phrh' }), status: 200, body: VALID_BODY },
  { name: 'step-up: another acr is 401 insufficient_user_authentication with acr_values', config: 'RS256', request: (fx) => stepUpRequest(fx, '/mfa', { acr: 'pwd' }), ...STEP_UP_REFUSED, wwwAuthenticate: stepUp('acr_values="phr phrh"') },
  { name: 'step-up: a token without acr never satisfies acr', config: 'RS256', request: (fx) => stepUpRequest(fx, '/mfa', {}), ...STEP_UP_REFUSED, wwwAuthenticate: stepUp('acr_values="phr phrh"') },
  { name: 'step-up: an acr that is not a string never satisfies acr', config: 'RS256', request: (fx) => stepUpRequest(fx, '/mfa', { acr: ['phr'] }), ...STEP_UP_REFUSED },
  { name: 'step-up: a recent authentication passes maxAge', config: 'RS256', request: (fx) => stepUpRequest(fx, '/recent-login', { auth_time: secondsAgo(60) }), status: 200, body: VALID_BODY },
  { name: 'step-up: an authentication older than maxAge is 401 with max_age in seconds', config: 'RS256', request: (fx) => stepUpRequest(fx, '/recent-login', { auth_time: secondsAgo(3600) }), ...STEP_UP_REFUSED, wwwAuthenticate: stepUp('max_age="300"') },
  { name: 'step-up: a token without auth_time fails maxAge', config: 'RS256', request: (fx) => stepUpRequest(fx, '/recent-login', {}), ...STEP_UP_REFUSED, wwwAuthenticate: stepUp('max_age="300"') },
  { name: 'step-up: an auth_time in the future fails maxAge', config: 'RS256', request: (fx) => stepUpRequest(fx, '/recent-login', { auth_time: secondsAgo(-3600) }), ...STEP_UP_REFUSED },
  { name: 'step-up: acr and maxAge both met pass', config: 'RS256', request: (fx) => stepUpRequest(fx, '/transfer', { acr: 'phrh', auth_time: secondsAgo(60) }), status: 200, body: VALID_BODY },
  { name: 'step-up: the right acr but an old authentication announces both', config: 'RS256', request: (fx) => stepUpRequest(fx, '/transfer', { acr: 'phrh', auth_time: secondsAgo(3600) }), ...STEP_UP_REFUSED, wwwAuthenticate: stepUp('acr_values="phrh", max_age="300"') },
  { name: 'step-up: a recent authentication with a weaker acr announces both', config: 'RS256', request: (fx) => stepUpRequest(fx, '/transfer', { acr: 'phr', auth_time: secondsAgo(60) }), ...STEP_UP_REFUSED, wwwAuthenticate: stepUp('acr_values="phrh", max_age="300"') },
  { name: 'step-up: the realm is announced on the challenge', config: 'RS256-realm', request: (fx) => stepUpRequest(fx, '/mfa', { acr: 'pwd' }), ...STEP_UP_REFUSED, wwwAuthenticate: stepUp('acr_values="phr phrh"', 'realm="orders-api", ') },
  { name: 'step-up: maxAge is timed by the guard clock (currentDate), not the machine', config: 'RS256-fixed-clock', request: (fx) => stepUpRequest(fx, '/recent-login', { iat: FIXED_NOW - 60, exp: FIXED_NOW + 600, auth_time: FIXED_NOW - 60 }), status: 200, body: VALID_BODY },
  { name: 'step-up: an authentication older than maxAge by the guard clock is refused', config: 'RS256-fixed-clock', request: (fx) => stepUpRequest(fx, '/recent-login', { iat: FIXED_NOW - 60, exp: FIXED_NOW + 600, auth_time: FIXED_NOW - 301 }), ...STEP_UP_REFUSED, wwwAuthenticate: stepUp('max_age="300"') },
  { name: 'step-up: an anonymous request to a step-up route is 401 token_missing', config: 'RS256-optional', request: () => ({ path: '/transfer' }), status: 401, code: 'token_missing', wwwAuthenticate: 'Bearer' },
  { name: 'step-up: an invalid token on a step-up route keeps its own reason', config: 'RS256-anonymous', request: async (fx) => ({ path: '/mfa', headers: bearer(await fx.issuers.RS256.expiredToken({ acr: 'phrh' })) }), status: 401, code: 'token_expired' },

  // No token, other schemes, malformed requests (RFC 6750 §3.1).
  { name: 'no token: 401 with a bare challenge', config: 'RS256', request: () => ({ path: '/me' }), status: 401, code: 'token_missing', wwwAuthenticate: 'Bearer' },
  { name: 'no token with realm', config: 'RS256-realm', request: () => ({ path: '/me' }), status: 401, code: 'token_missing', wwwAuthenticate: 'Bearer realm="orders-api"' },
  { name: 'realm is announced on refusals too', config: 'RS256-realm', request: () => ({ path: '/me', headers: bearer('abc') }), status: 401, code: 'token_malformed', wwwAuthenticate: 'Bearer realm="orders-api", error="invalid_token", error_description="The access token is malformed."' },
  { name: 'Basic credentials are not a bearer token', config: 'RS256', request: () => ({ path: '/me', headers: { authorization: 'Basic dXNlcjpwYXNz' } }), status: 401, code: 'token_missing', wwwAuthenticate: 'Bearer' },
  { name: '"Bearer" without a token is a malformed request', config: 'RS256', request: () => ({ path: '/me', headers: { authorization: 'Bearer' } }), status: 400, code: 'invalid_request', wwwAuthenticate: /^Bearer error="invalid_request"/ },
  { name: 'Bearer with two tokens is a malformed request', config: 'RS256', request: () => ({ path: '/me', headers: { authorization: 'Bearer a.b.c d.e.f' } }), status: 400, code: 'invalid_request' },
  { name: 'token in header and query at once', config: 'RS256', request: async (fx) => { const token = await fx.issuers.RS256.sign(); return { path: `/me?access_token=${token}`, headers: bearer(token) }; }, status: 400, code: 'invalid_request', wwwAuthenticate: 'Bearer error="invalid_request", error_description="The access token was sent in more than one place."' },

  // Algorithm attacks (RFC 8725 §2.1, §3.1).
  { name: 'alg none without signature', config: 'RS256', request: (fx) => ({ path: '/me', headers: bearer(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(claimsOf(fx))}.`) }), status: 401, code: 'algorithm_not_allowed', wwwAuthenticate: invalidToken('The access token is signed with an algorithm that is not allowed.') },
  { name: 'alg None with a signature', config: 'HS256', request: async (fx) => { const [, , sig] = (await fx.issuers.HS256.sign()).split('.'); const hs = fx.issuers.HS256; return { path: '/me', headers: bearer(`${b64({ alg: 'None' })}.${b64({ iss: hs.issuer, aud: hs.audience, exp: inFiveMinutes() })}.${sig}`) }; }, status: 401, code: 'algorithm_not_allowed' },
  { name: 'key confusion: HS256 signed with the RSA public key PEM', config: 'RS256', request: (fx) => ({ path: '/me', headers: bearer(hmacForgery({ alg: 'HS256', kid: fx.issuers.RS256.keys.kid }, claimsOf(fx), fx.issuers.RS256.keys.publicKeyPem!)) }), status: 401, code: 'algorithm_not_allowed' },
  { name: 'algorithm not on the allowlist (ES256 token, RS256 guard)', config: 'RS256', request: (fx) => me(fx.issuers.ES256.sign({ iss: fx.issuers.RS256.issuer, aud: fx.issuers.RS256.audience })), status: 401, code: 'algorithm_not_allowed' },

  // Signatures and keys.
  { name: 'tampered signature', config: 'RS256', request: async (fx) => { const token = await fx.issuers.RS256.sign(); const sig = token.slice(token.lastIndexOf('.') + 1); const flipped = sig.startsWith('A') ? `B${sig.slice(1)}` : `A${sig.slice(1)}`; return me(`${token.slice(0, token.lastIndexOf('.') + 1)}${flipped}`); }, status: 401, code: 'signature_invalid', wwwAuthenticate: invalidToken('The access token signature is invalid.') },
  { name: 'tampered payload', config: 'RS256', request: async (fx) => { const [h, , s] = (await fx.issuers.RS256.sign()).split('.'); return me(`${h}.${b64(claimsOf(fx, { sub: 'admin' }))}.${s}`); }, status: 401, code: 'signature_invalid' },
  { name: 'unknown kid', config: 'RS256', request: (fx) => me(fx.stranger.sign({ iss: fx.issuers.RS256.issuer, aud: fx.issuers.RS256.audience })), status: 401, code: 'key_not_found', wwwAuthenticate: invalidToken('No key is known for the access token.') },
  { name: 'key source down: 503', config: 'dead-jwksUri', request: (fx) => me(fx.issuers.RS256.sign()), status: 503, code: 'key_source_unavailable', wwwAuthenticate: null },

  // Claims.
  { name: 'expired token', config: 'RS256', request: (fx) => me(fx.issuers.RS256.expiredToken()), status: 401, code: 'token_expired', wwwAuthenticate: invalidToken('The access token has expired.') },
  { name: 'token not yet valid', config: 'RS256', request: (fx) => me(fx.issuers.RS256.notYetValidToken()), status: 401, code: 'token_not_yet_valid' },
  { name: 'wrong issuer', config: 'RS256', request: (fx) => me(fx.issuers.RS256.wrongIssuerToken()), status: 401, code: 'issuer_mismatch' },
  { name: 'wrong audience', config: 'RS256', request: (fx) => me(fx.issuers.RS256.wrongAudienceToken()), status: 401, code: 'audience_mismatch' },
  { name: 'token without exp', config: 'RS256', request: (fx) => me(fx.issuers.RS256.sign({}, { expiresIn: null })), status: 401, code: 'claim_missing' },
  { name: 'typ mismatch: a plain JWT where at+jwt is required', config: 'RS256-at+jwt', request: (fx) => me(fx.issuers.RS256.sign()), status: 401, code: 'type_mismatch' },
  { name: 'typ at+jwt accepted', config: 'RS256-at+jwt', request: (fx) => me(fx.issuers.RS256.sign({}, { header: { typ: 'at+jwt' } })), status: 200, body: VALID_BODY },

  // Revocation (a denylist checked after signature and claims).
  { name: 'revoked jti', config: 'RS256-revocation', request: (fx) => me(fx.issuers.RS256.sign({ jti: 'revoked-jti' })), status: 401, code: 'token_revoked', wwwAuthenticate: invalidToken('The access token has been revoked.') },
  { name: 'subject logged out everywhere', config: 'RS256-revocation', request: (fx) => me(fx.issuers.RS256.sign({ sub: 'logged-out-user' })), status: 401, code: 'token_revoked' },
  { name: 'a token that is not revoked passes the check', config: 'RS256-revocation', request: (fx) => me(fx.issuers.RS256.sign()), status: 200, body: VALID_BODY },

  // Structure and size.
  { name: 'oversized token', config: 'RS256', request: () => me(`${'a'.repeat(5000)}.${'b'.repeat(5000)}.c`), status: 401, code: 'token_too_large' },
  { name: 'opaque token', config: 'RS256', request: () => me('2YotnFZFEjr1zCsicMWpAA'), status: 401, code: 'token_malformed' },
  { name: 'JWE (five segments)', config: 'RS256', request: () => me('eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d'), status: 401, code: 'token_malformed' },
  { name: 'header is not JSON', config: 'RS256', request: () => me('bm90LWpzb24.e30.c2ln'), status: 401, code: 'token_malformed' },
  { name: 'padding in a segment', config: 'RS256', request: async (fx) => { const [h, p, s] = (await fx.issuers.RS256.sign()).split('.'); return { path: '/me', headers: bearer(`${h}.${p}=.${s}`) }; }, status: 401, code: 'token_malformed' },

  // Options shared by every adapter.
  { name: 'CORS preflight passes without a token', config: 'RS256', request: () => ({ method: 'OPTIONS', path: '/me', headers: { origin: 'https://app.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } }), status: 204 },
  { name: 'credentialsRequired false: no token goes through anonymous', config: 'RS256-optional', request: () => ({ path: '/me' }), status: 200, body: { anonymous: true, reason: null } },
  { name: 'credentialsRequired false: a bad token is still refused', config: 'RS256-optional', request: (fx) => me(fx.issuers.RS256.expiredToken()), status: 401, code: 'token_expired' },
  { name: 'credentialsRequired false: scope routes still need a token', config: 'RS256-optional', request: () => ({ path: '/orders' }), status: 401, code: 'token_missing', wwwAuthenticate: 'Bearer' },
  { name: 'anonymousOnInvalidToken: a bad token goes through with its reason', config: 'RS256-anonymous', request: (fx) => me(fx.issuers.RS256.expiredToken()), status: 200, body: { anonymous: true, reason: 'token_expired' } },
  { name: 'anonymousOnInvalidToken: scope routes refuse with the original reason', config: 'RS256-anonymous', request: async (fx) => ({ path: '/orders', headers: bearer(await fx.issuers.RS256.expiredToken()) }), status: 401, code: 'token_expired' },
  { name: 'token from a cookie', config: 'RS256-cookie', request: async (fx) => ({ path: '/me', headers: { cookie: `access_token=${await fx.issuers.RS256.sign()}` } }), status: 200, body: VALID_BODY },
  { name: 'cookie source ignores the Authorization header', config: 'RS256-cookie', request: (fx) => me(fx.issuers.RS256.sign()), status: 401, code: 'token_missing' },

  // CSRF (issue 15): unsafe requests with a cookie token must come from this site's own pages.
  { name: 'csrf: POST with a cookie token, Sec-Fetch-Site same-origin passes', config: 'RS256-cookie', request: (fx) => cookiePost(fx, { 'sec-fetch-site': 'same-origin' }), ...WRITTEN },
  { name: 'csrf: POST with a cookie token, Sec-Fetch-Site cross-site is 403', config: 'RS256-cookie', request: (fx) => cookiePost(fx, { 'sec-fetch-site': 'cross-site' }), ...CSRF_REFUSED },
  { name: 'csrf: cross-site is refused even from a trusted Origin', config: 'RS256-cookie-origins', request: (fx) => cookiePost(fx, { 'sec-fetch-site': 'cross-site', origin: APP_ORIGIN }), ...CSRF_REFUSED },
  { name: 'csrf: a forged cookie token cross-site gets the CSRF 403, not a 401', config: 'RS256-cookie', request: (fx) => cookiePost(fx, { 'sec-fetch-site': 'cross-site' }, 'forged.token.value'), ...CSRF_REFUSED },
  { name: 'csrf: Sec-Fetch-Site same-site is 403 by default', config: 'RS256-cookie', request: (fx) => cookiePost(fx, { 'sec-fetch-site': 'same-site' }), ...CSRF_REFUSED },
  { name: 'csrf: Sec-Fetch-Site same-site passes with allowSameSite', config: 'RS256-cookie-samesite', request: (fx) => cookiePost(fx, { 'sec-fetch-site': 'same-site' }), ...WRITTEN },
  { name: 'csrf: allowSameSite still refuses cross-site', config: 'RS256-cookie-samesite', request: (fx) => cookiePost(fx, { 'sec-fetch-site': 'cross-site' }), ...CSRF_REFUSED },
  { name: 'csrf: Sec-Fetch-Site none on a POST is 403', config: 'RS256-cookie-origins', request: (fx) => cookiePost(fx, { 'sec-fetch-site': 'none', origin: APP_ORIGIN }), ...CSRF_REFUSED },
  { name: 'csrf: an unknown Sec-Fetch-Site is ignored, not trusted', config: 'RS256-cookie', request: (fx) => cookiePost(fx, { 'sec-fetch-site': 'same-origin-please' }), ...CSRF_REFUSED },
  { name: 'csrf: an unknown Sec-Fetch-Site with a trusted Origin passes on the Origin', config: 'RS256-cookie-origins', request: (fx) => cookiePost(fx, { 'sec-fetch-site': 'Same-Origin', origin: APP_ORIGIN }), ...WRITTEN },
  { name: 'csrf: neither Sec-Fetch-Site nor Origin is 403', config: 'RS256-cookie-origins', request: (fx) => cookiePost(fx), ...CSRF_REFUSED },
  { name: 'csrf: no Fetch Metadata, Origin exactly trusted passes', config: 'RS256-cookie-origins', request: (fx) => cookiePost(fx, { origin: APP_ORIGIN }), ...WRITTEN },
  { name: 'csrf: no Fetch Metadata, a look-alike Origin is 403', config: 'RS256-cookie-origins', request: (fx) => cookiePost(fx, { origin: `${APP_ORIGIN}.evil.test` }), ...CSRF_REFUSED },
  { name: 'csrf: no Fetch Metadata, the trusted host on another port is 403', config: 'RS256-cookie-origins', request: (fx) => cookiePost(fx, { origin: `${APP_ORIGIN}:444` }), ...CSRF_REFUSED },
  { name: 'csrf: no Fetch Metadata, Origin null is 403', config: 'RS256-cookie-origins', request: (fx) => cookiePost(fx, { origin: 'null' }), ...CSRF_REFUSED },
  { name: 'csrf: no Fetch Metadata and no trusted origins configured is 403', config: 'RS256-cookie', request: (fx) => cookiePost(fx, { origin: APP_ORIGIN }), ...CSRF_REFUSED },
  { name: 'csrf: a GET with a cookie token cross-site passes, unchecked', config: 'RS256-cookie', request: async (fx) => ({ path: '/me', headers: { cookie: `access_token=${await fx.issuers.RS256.sign()}`, 'sec-fetch-site': 'cross-site' } }), status: 200, body: VALID_BODY, vary: null },
  { name: 'csrf: a POST with a Bearer header cross-site passes, unchecked', config: 'RS256', request: async (fx) => ({ method: 'POST', path: '/orders', headers: { ...bearer(await fx.issuers.RS256.tokenWithScopes('orders:write')), 'sec-fetch-site': 'cross-site' } }), status: 201, body: { sub: 'user-1', scopes: ['orders:write'] }, vary: null },
  { name: 'csrf: a POST without a token is 401 token_missing, unchecked', config: 'RS256-cookie', request: () => ({ method: 'POST', path: '/orders', headers: { 'sec-fetch-site': 'cross-site' } }), status: 401, code: 'token_missing', wwwAuthenticate: 'Bearer', vary: null },
  { name: 'csrf: false lets a cross-site POST with a cookie token through', config: 'RS256-cookie-nocsrf', request: (fx) => cookiePost(fx, { 'sec-fetch-site': 'cross-site' }), status: 201, body: { sub: 'user-1', scopes: ['orders:write'] }, vary: null },
  { name: 'csrf: an expired cookie token same-origin is 401, with Vary', config: 'RS256-cookie', request: (fx) => cookiePost(fx, { 'sec-fetch-site': 'same-origin' }, fx.issuers.RS256.expiredToken()), status: 401, code: 'token_expired', vary: CSRF_VARY },
  // The signed, session-bound CSRF token (csrf.token), on top of the Fetch Metadata check.
  { name: 'csrf token: the session token in x-csrf-token passes', config: 'RS256-cookie-token', request: (fx) => sessionPost(fx, { 'x-csrf-token': csrfTokenOf('session-a') }), ...WRITTEN },
  { name: 'csrf token: no x-csrf-token is 403', config: 'RS256-cookie-token', request: (fx) => sessionPost(fx), ...CSRF_REFUSED },
  { name: 'csrf token: a token made with another secret is 403', config: 'RS256-cookie-token', request: (fx) => sessionPost(fx, { 'x-csrf-token': createCsrfToken('Zp7xN2wQ9rL4vB8mK1cJ6hT3gF0dS5yA', 'session-a') }), ...CSRF_REFUSED },
  { name: "csrf token: another session's token is 403", config: 'RS256-cookie-token', request: (fx) => sessionPost(fx, { 'x-csrf-token': csrfTokenOf('session-b') }), ...CSRF_REFUSED },
  { name: 'csrf token: the token in a cookie only is 403 (the cookie is never read as the token)', config: 'RS256-cookie-token', request: async (fx) => { const req = await sessionPost(fx); return { ...req, headers: { ...req.headers, cookie: `${req.headers!.cookie}; x-csrf-token=${csrfTokenOf('session-a')}` } }; }, ...CSRF_REFUSED },
  { name: 'csrf token: a cross-site POST with a valid token is still 403 (Fetch Metadata first)', config: 'RS256-cookie-token', request: (fx) => sessionPost(fx, { 'sec-fetch-site': 'cross-site', 'x-csrf-token': csrfTokenOf('session-a') }), ...CSRF_REFUSED },
  // The same token from a form field (csrf.token.fieldName), the body parsed before the guard.
  { name: 'csrf form field: the session token in _csrf passes', config: 'RS256-cookie-form', request: (fx) => formPost(fx, `item=tea&_csrf=${csrfTokenOf('session-a')}`), ...WRITTEN },
  { name: 'csrf form field: the header still passes', config: 'RS256-cookie-form', request: (fx) => formPost(fx, 'item=tea', { 'x-csrf-token': csrfTokenOf('session-a') }), ...WRITTEN },
  { name: 'csrf form field: no field and no header is 403', config: 'RS256-cookie-form', request: (fx) => formPost(fx, 'item=tea'), ...CSRF_REFUSED },
  { name: "csrf form field: another session's token is 403", config: 'RS256-cookie-form', request: (fx) => formPost(fx, `item=tea&_csrf=${csrfTokenOf('session-b')}`), ...CSRF_REFUSED },
  { name: 'csrf form field: two _csrf fields are 403', config: 'RS256-cookie-form', request: (fx) => formPost(fx, `_csrf=${csrfTokenOf('session-a')}&_csrf=${csrfTokenOf('session-a')}`), ...CSRF_REFUSED },
  { name: 'csrf form field: a cross-site form with a valid field is still 403', config: 'RS256-cookie-form', request: (fx) => formPost(fx, `_csrf=${csrfTokenOf('session-a')}`, { 'sec-fetch-site': 'cross-site' }), ...CSRF_REFUSED },
  { name: 'csrf form field: without fieldName the field is not read (403)', config: 'RS256-cookie-token', request: (fx) => formPost(fx, `item=tea&_csrf=${csrfTokenOf('session-a')}`), ...CSRF_REFUSED },
  // Certificate-bound tokens (RFC 8705): cnf["x5t#S256"] names the client certificate; here it comes in x-client-cert (URL-encoded PEM, as nginx sends it).
  { name: 'mtls: a bound token with its certificate passes', config: 'RS256-mtls-header', request: (fx) => boundRequest(fx, CLIENT_A.cert), status: 200, body: VALID_BODY },
  { name: "mtls: a bound token with another client's certificate is 401 token_binding_invalid", config: 'RS256-mtls-header', request: (fx) => boundRequest(fx, CLIENT_B.cert), ...BINDING_REFUSED },
  { name: 'mtls: a bound token without a certificate is 401', config: 'RS256-mtls-header', request: (fx) => boundRequest(fx), ...BINDING_REFUSED },
  { name: 'mtls: a certificate header that is not a certificate is 401', config: 'RS256-mtls-header', request: (fx) => boundRequest(fx, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'), ...BINDING_REFUSED },
  { name: 'mtls: a malformed cnf x5t#S256 is 401, even with the certificate', config: 'RS256-mtls-header', request: async (fx) => ({ path: '/me', headers: { ...bearer(await fx.issuers.RS256.sign({ cnf: { 'x5t#S256': 'not-a-thumbprint' } })), 'x-client-cert': encodeURIComponent(CLIENT_A.cert) } }), ...BINDING_REFUSED },
  { name: 'mtls: a token without cnf needs no certificate', config: 'RS256-mtls-header', request: (fx) => me(fx.issuers.RS256.sign()), status: 200, body: VALID_BODY },
  { name: 'mtls: without mtls.certificate the header is not trusted; plain HTTP has no certificate (401)', config: 'RS256', request: (fx) => boundRequest(fx, CLIENT_A.cert), ...BINDING_REFUSED },
  { name: 'mtls: a bound token on a scope route is refused for the binding before the scope', config: 'RS256-mtls-header', request: async (fx) => ({ ...(await boundRequest(fx, CLIENT_B.cert)), path: '/orders' }), ...BINDING_REFUSED },
  { name: 'csrf: a route refusal after the check passed keeps the Vary', config: 'RS256-cookie', request: (fx) => cookiePost(fx, { 'sec-fetch-site': 'same-origin' }, fx.issuers.RS256.tokenWithScopes('orders:read')), status: 403, code: 'insufficient_scope', vary: CSRF_VARY },
];

export async function createFixtures(): Promise<Fixtures> {
  const make = (algorithm: TestAlgorithm) => createTestIssuer({ algorithm });
  const [HS256, RS256, PS256, ES256, EdDSA, stranger] = await Promise.all([
    make('HS256'), make('RS256'), make('PS256'), make('ES256'), make('EdDSA'), createTestIssuer({ algorithm: 'RS256', kid: 'stranger-key' }),
  ]);
  const all = [HS256, RS256, PS256, ES256, EdDSA, stranger];
  const revocationStore = memoryRevocationStore();
  await revocationStore.revoke('revoked-jti', inFiveMinutes());
  await revocationStore.revokeSubject('logged-out-user', Math.floor(Date.now() / 1000) + 60);
  return {
    issuers: { HS256, RS256, PS256, ES256, EdDSA },
    stranger,
    deadJwksUri: 'http://127.0.0.1:9/.well-known/jwks.json',
    revocationStore,
    close: async () => {
      await Promise.all(all.map((issuer) => issuer.close()));
    },
  };
}
