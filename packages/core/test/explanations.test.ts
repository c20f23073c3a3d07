import { describe, expect, it } from 'vitest';
import { ERROR_CODES, explainRefusal, type ErrorCode } from '@jwt-guard/core';

const CODES = Object.keys(ERROR_CODES) as ErrorCode[];

describe('explainRefusal: the one set of explanations (hooks and CLI)', () => {
  it.each(CODES)('%s has a non-empty one-line explanation, even with no facts', (code) => {
    const line = explainRefusal(code);
    expect(line.length).toBeGreaterThan(20);
    expect(line).not.toMatch(/[\r\n]|\s\s|^\s|\s$/);
    expect(line.startsWith(`${code}:`)).toBe(false);
  });

  it('issuer_mismatch says what was received and what is expected', () => {
    expect(explainRefusal('issuer_mismatch', { payload: { iss: 'http://localhost:3002' }, issuer: ['http://localhost:3002/'] })).toBe(
      'the token\'s iss is "http://localhost:3002" but "http://localhost:3002/" is expected; set issuer to exactly the iss your identity provider puts in tokens (a trailing slash counts).',
    );
  });

  it('audience and typ mismatches name both values', () => {
    expect(explainRefusal('audience_mismatch', { payload: { aud: ['a', 'b'] }, audience: ['orders-api'] })).toMatch(/^the token's aud is \["a","b"\] but "orders-api" is expected; /);
    expect(explainRefusal('type_mismatch', { header: { typ: 'JWT' }, typ: 'application/at+jwt' })).toMatch(/^the token's typ header is "JWT" but "at\+jwt" is expected; /);
  });

  it('signature_invalid with an HMAC alg explains secret encodings; a matched kid is said to have matched', () => {
    const line = explainRefusal('signature_invalid', { header: { alg: 'HS256', kid: '2026-11' }, kidMatched: true });
    expect(line).toMatch(/kid "2026-11" was found, but its bytes are not the signer's/);
    expect(line).toMatch(/a string secret's UTF-8 bytes are the key/);
    expect(line).toMatch(/base64url.*must be decoded first.*secretFromEnv\(name, \{ encoding: 'base64url' \}\)/);
    expect(explainRefusal('signature_invalid', { header: { alg: 'RS256' }, keySource: 'the JWKS at https://id.example/jwks' })).toMatch(
      /another key or secret, or was altered — configure the issuer's key \(the JWKS at https:\/\/id.example\/jwks\)/,
    );
  });

  it('token_missing says when the token sits in the Authorization header but getToken reads a cookie', () => {
    expect(explainRefusal('token_missing', { bearerHeaderPresent: true, tokenPlace: 'the session cookie' })).toMatch(
      /^the token is in the Authorization header but getToken reads the session cookie; /,
    );
    expect(explainRefusal('token_missing', { otherScheme: 'Basic' })).toMatch(/uses the "Basic" scheme, not Bearer/);
  });

  it('token_missing in cookie or header mode advises that place, never a Bearer header it would ignore', () => {
    const cookie = explainRefusal('token_missing', { tokenPlace: 'the access_token cookie', tokenPlaceKind: 'cookie' });
    expect(cookie).toMatch(/^no token was found in the access_token cookie; send the token in the access_token cookie — check the cookie's Path, Domain, SameSite and Secure attributes/);
    expect(cookie).toMatch(/~4 KiB cookie size limit/);
    expect(cookie).not.toMatch(/Bearer/);
    const header = explainRefusal('token_missing', { tokenPlace: 'the x-access-token header', tokenPlaceKind: 'header' });
    expect(header).toMatch(/^no token was found in the x-access-token header; send the token in the x-access-token header/);
    expect(header).not.toMatch(/Bearer/);
    expect(explainRefusal('token_missing', {})).toMatch(/send "Authorization: Bearer <token>"/);
  });

  it('type_mismatch for an RFC 9068 token while typ asks for another says to change the option, not the tokens', () => {
    for (const typ of ['at+jwt', 'application/at+jwt']) {
      const line = explainRefusal('type_mismatch', { header: { typ }, typ: 'JWT' });
      expect(line).toMatch(/is expected; set the option typ to "at\+jwt" \(RFC 9068 access tokens\), or drop it\.$/);
      expect(line).not.toMatch(/issue access tokens/);
    }
    expect(explainRefusal('type_mismatch', { header: { typ: 'JWT' }, typ: 'at+jwt' })).toMatch(/; issue access tokens with that typ/);
  });

  it('insufficient_scope with a token without scopes says "no scopes", not ""', () => {
    for (const facts of [{ grantedScopes: [] }, { payload: {} }, { payload: { scope: '' } }, { payload: { scp: [] } }]) {
      expect(explainRefusal('insufficient_scope', { requiredScopes: ['orders:read'], ...facts })).toBe(
        'the route requires all of "orders:read" but the token has no scopes; request the scope from the issuer.',
      );
    }
    expect(explainRefusal('insufficient_scope', { requiredScopes: ['a'], grantedScopes: ['b', 'c'] })).toMatch(/the token has "b c"/);
  });

  it('hints for a token whose signature did not verify quote only its alg and kid, escaped and cut short; never sub or jti', () => {
    const kid = `k\u2028${'x'.repeat(500)}`;
    const header = { alg: 'RS256', kid, typ: 'JWT' };
    const payload = { iss: 'iss-marker', sub: 'sub-marker', jti: 'jti-marker', aud: 'aud-marker', scope: 'scope-marker' };
    for (const code of ['token_malformed', 'token_too_large', 'algorithm_not_allowed', 'key_not_found', 'signature_invalid'] as const) {
      const line = explainRefusal(code, { header, payload, kidMatched: true, algorithms: ['ES256'] });
      expect(line, code).not.toMatch(/-marker/);
      expect(line, code).not.toContain('x'.repeat(121));
      expect(line, code).not.toContain('\u2028');
    }
    // jti and sub are quoted only for a revoked token, which verified.
    expect(explainRefusal('token_revoked', { payload })).toContain('jti "jti-marker", sub "sub-marker"');
  });

  it('a detail with line breaks is flattened to one line', () => {
    expect(explainRefusal('key_source_unavailable', { detail: 'JWKS https://id.example/jwks:\n  HTTP 500' })).toMatch(/^the keys could not be fetched \(JWKS https:\/\/id.example\/jwks: HTTP 500\); /);
  });

  it('values from a token are escaped and cut short: a hint is one line and cannot forge another', () => {
    const line = explainRefusal('issuer_mismatch', { payload: { iss: `evil\n\u001b[31m✔ verified\u202e${'x'.repeat(500)}` }, issuer: ['https://id.example/'] });
    expect([...line].some((char) => char === "\n" || char === "\u001b" || char === "\u202e")).toBe(false);
    expect(line).toContain('evil\\n\\u001b');
    expect(line).toContain('\\u202e');
    expect(line.length).toBeLessThan(400);
  });
});
