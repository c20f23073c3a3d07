import { beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, ERROR_CODES, errorResponse, isJwtGuardError, JwtGuardError, type ErrorCode } from '@jwt-guard/core';
import { CLAIM_OPTIONS, rawToken, rejection, rsaPair, SECRET_32, sign, validClaims, type RsaPair } from './helpers.js';

let rsa: RsaPair;
beforeAll(() => {
  rsa = rsaPair();
});

describe('JwtGuardError', () => {
  it('is an Error with a name, a code, a status and a hint', () => {
    const error = new JwtGuardError('token_expired', 'The access token has expired.', { hint: 'exp was yesterday' });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('JwtGuardError');
    expect(error.code).toBe('token_expired');
    expect(error.status).toBe(401);
    expect(error.hint).toBe('exp was yesterday');
    expect(error.bearerError).toBe('invalid_token');
    expect(isJwtGuardError(error)).toBe(true);
    expect(isJwtGuardError(new Error('x'))).toBe(false);
    expect(isJwtGuardError({ code: 'token_expired' })).toBe(false);
  });

  it.each<[ErrorCode, number, string | undefined]>([
    ['token_missing', 401, undefined],
    ['token_malformed', 401, 'invalid_token'],
    ['token_too_large', 401, 'invalid_token'],
    ['token_expired', 401, 'invalid_token'],
    ['token_not_yet_valid', 401, 'invalid_token'],
    ['signature_invalid', 401, 'invalid_token'],
    ['algorithm_not_allowed', 401, 'invalid_token'],
    ['issuer_mismatch', 401, 'invalid_token'],
    ['audience_mismatch', 401, 'invalid_token'],
    ['claim_missing', 401, 'invalid_token'],
    ['claim_invalid', 401, 'invalid_token'],
    ['type_mismatch', 401, 'invalid_token'],
    ['key_not_found', 401, 'invalid_token'],
    ['token_revoked', 401, 'invalid_token'],
    ['revocation_unavailable', 503, undefined],
    ['insufficient_scope', 403, 'insufficient_scope'],
    ['claim_mismatch', 403, 'insufficient_scope'],
    ['insufficient_user_authentication', 401, 'insufficient_user_authentication'],
    ['csrf_check_failed', 403, undefined],
    ['invalid_request', 400, 'invalid_request'],
    ['key_source_unavailable', 503, undefined],
    ['clock_invalid', 503, undefined],
    ['config_invalid', 500, undefined],
  ])('maps %s to status %i and bearer error %s', (code, status, bearerError) => {
    const error = new JwtGuardError(code, 'message');
    expect(error.status).toBe(status);
    expect(error.bearerError).toBe(bearerError);
    expect(ERROR_CODES[code]).toEqual({ status, bearerError });
  });

  it('lists exactly the documented codes', () => {
    expect(Object.keys(ERROR_CODES)).toHaveLength(26);
  });

  it('leaves Error.stackTraceLimit as it found it, and keeps the stack of a configuration error only', () => {
    const before = Error.stackTraceLimit;
    const refusal = new JwtGuardError('signature_invalid', 'The access token signature is invalid.');
    expect(Error.stackTraceLimit).toBe(before);
    expect(refusal.stack).toBe('JwtGuardError: The access token signature is invalid.');
    const config = new JwtGuardError('config_invalid', 'jwt-guard configuration: x');
    expect(Error.stackTraceLimit).toBe(before);
    expect(config.stack).toMatch(/\n\s+at /);
  });

  it('keeps the cause', () => {
    const cause = new Error('root');
    expect(new JwtGuardError('token_malformed', 'm', { cause }).cause).toBe(cause);
    expect('cause' in new JwtGuardError('token_malformed', 'm')).toBe(false);
  });
});

describe('wwwAuthenticate', () => {
  it('is "Bearer" alone for a missing token (no error attribute)', () => {
    expect(new JwtGuardError('token_missing', 'No access token was provided.').wwwAuthenticate).toBe('Bearer');
  });

  it('announces the realm for a missing token', () => {
    const error = new JwtGuardError('token_missing', 'No access token was provided.', { realm: 'x' });
    expect(error.wwwAuthenticate).toBe('Bearer realm="x"');
  });

  it('carries error="invalid_token" and the description for an invalid token', () => {
    const error = new JwtGuardError('token_expired', 'The access token has expired.');
    expect(error.wwwAuthenticate).toBe('Bearer error="invalid_token", error_description="The access token has expired."');
    expect(error.withRealm('api').wwwAuthenticate).toBe(
      'Bearer realm="api", error="invalid_token", error_description="The access token has expired."',
    );
  });

  it('carries the required scopes for insufficient_scope', () => {
    const error = new JwtGuardError('insufficient_scope', 'The access token does not have the scope this request requires.', {
      requiredScopes: ['a', 'b'],
    });
    expect(error.wwwAuthenticate).toBe(
      'Bearer error="insufficient_scope", error_description="The access token does not have the scope this request requires.", scope="a b"',
    );
  });

  it('carries error="invalid_request" for a malformed request', () => {
    expect(new JwtGuardError('invalid_request', 'Bad request.').wwwAuthenticate).toBe(
      'Bearer error="invalid_request", error_description="Bad request."',
    );
  });

  it('is undefined for 5xx answers: an unavailable key source or a configuration error', () => {
    expect(new JwtGuardError('key_source_unavailable', 'Down.').wwwAuthenticate).toBeUndefined();
    expect(new JwtGuardError('key_source_unavailable', 'Down.', { realm: 'api' }).wwwAuthenticate).toBeUndefined();
    expect(new JwtGuardError('config_invalid', 'Bad.').wwwAuthenticate).toBeUndefined();
    // A CSRF refusal is not a token problem: a Bearer challenge would send the client for a new token.
    expect(new JwtGuardError('csrf_check_failed', 'Refused.', { realm: 'api' }).wwwAuthenticate).toBeUndefined();
  });

  it('strips quotes, backslashes, CR/LF, control and non-ASCII characters from every value', () => {
    const error = new JwtGuardError('insufficient_scope', 'Say "hi"\\ now\r\nX-Injected: 1\tété', {
      realm: 'my "realm"\r\n\\é',
      requiredScopes: ['read"', 'wr\nite', 'ü'],
    });
    const header = error.wwwAuthenticate!;
    expect(header).toBe(
      'Bearer realm="my realm", error="insufficient_scope", error_description="Say hi nowX-Injected: 1t", scope="read write "',
    );
    expect(header).not.toMatch(/[\r\n\\\u0080-\uffff]/);
  });

  it('never lets a hostile value break out of its quoted string', () => {
    const error = new JwtGuardError('token_malformed', 'x", error="forged');
    expect(error.wwwAuthenticate).toBe('Bearer error="invalid_token", error_description="x, error=forged"');
  });
});

describe('toJSON and errorResponse', () => {
  it('serialises to { error, error_description } only', () => {
    const error = new JwtGuardError('token_expired', 'The access token has expired.', { hint: 'secret detail', cause: new Error('c') });
    expect(error.toJSON()).toEqual({ error: 'token_expired', error_description: 'The access token has expired.' });
    expect(JSON.parse(JSON.stringify(error))).toEqual({ error: 'token_expired', error_description: 'The access token has expired.' });
    expect(JSON.stringify(error)).not.toContain('secret detail');
  });

  it('builds the HTTP response: status, JSON body, no-store, challenge', () => {
    const error = new JwtGuardError('insufficient_scope', 'Need more.', { requiredScopes: ['admin'], realm: 'api' });
    const response = errorResponse(error);
    expect(response.status).toBe(403);
    expect(response.body).toBe('{"error":"insufficient_scope","error_description":"Need more."}');
    expect(response.headers).toMatchObject({
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'www-authenticate': 'Bearer realm="api", error="insufficient_scope", error_description="Need more.", scope="admin"',
    });
    if (response.headers['content-length'] !== undefined) {
      expect(response.headers['content-length']).toBe(String(Buffer.byteLength(response.body)));
    }
  });

  it('sends no challenge for a configuration error or an unavailable key source', () => {
    const response = errorResponse(new JwtGuardError('config_invalid', 'jwt-guard configuration: x'));
    expect(response.status).toBe(500);
    expect(response.headers['www-authenticate']).toBeUndefined();
    const unavailable = errorResponse(new JwtGuardError('key_source_unavailable', 'The token signing keys are temporarily unavailable.'));
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers['www-authenticate']).toBeUndefined();
    expect(JSON.parse(unavailable.body)).toEqual({
      error: 'key_source_unavailable',
      error_description: 'The token signing keys are temporarily unavailable.',
    });
  });
});

describe('withRealm', () => {
  it('returns the same error when the realm is unchanged, a copy otherwise', () => {
    const cause = new Error('c');
    const error = new JwtGuardError('insufficient_scope', 'm', { hint: 'h', requiredScopes: ['s'], cause });
    expect(error.withRealm(undefined)).toBe(error);
    const copy = error.withRealm('r');
    expect(copy).not.toBe(error);
    expect(copy).toBeInstanceOf(JwtGuardError);
    expect({ code: copy.code, message: copy.message, hint: copy.hint, scopes: copy.requiredScopes, realm: copy.realm, cause: copy.cause }).toEqual({
      code: 'insufficient_scope',
      message: 'm',
      hint: 'h',
      scopes: ['s'],
      realm: 'r',
      cause,
    });
    expect(error.realm).toBeUndefined();
  });
});

describe('no message carries the token, the secret or a raw token value', () => {
  const EVIL = 'https://evil.example/"injected"';

  const failures = async (): Promise<Array<[string, () => Promise<unknown>, string]>> => {
    const hs = createVerifier({ secret: SECRET_32, ...CLAIM_OPTIONS });
    const rs = createVerifier({ publicKey: rsa.publicKey, ...CLAIM_OPTIONS });
    const tokens: Array<[string, () => Promise<unknown>, string]> = [];
    const add = (label: string, verify: (t: string) => Promise<unknown>, token: string) => tokens.push([label, () => verify(token), token]);
    const now = Math.floor(Date.now() / 1000);
    add('expired', (t) => hs.verify(t), await sign(SECRET_32, 'HS256', validClaims({ exp: now - 60 })));
    add('wrong issuer', (t) => hs.verify(t), await sign(SECRET_32, 'HS256', validClaims({ iss: EVIL })));
    add('wrong audience', (t) => hs.verify(t), await sign(SECRET_32, 'HS256', validClaims({ aud: EVIL })));
    add('bad signature', (t) => hs.verify(t), await sign('Wrong-secret-but-long-enough-1234567', 'HS256'));
    add('alg none', (t) => hs.verify(t), rawToken({ alg: 'none' }, validClaims(), ''));
    add('evil alg', (t) => hs.verify(t), rawToken({ alg: EVIL }, validClaims()));
    add('key confusion', (t) => rs.verify(t), await sign(rsa.publicPem, 'HS256'));
    add('opaque', (t) => hs.verify(t), 'opaque-token-value-1234567890');
    add('jwe', (t) => hs.verify(t), 'eyJhbGciOiJkaXIifQ..aXY.Y2lwaGVydGV4dA.dGFn');
    add('too large', (t) => hs.verify(t), 'y'.repeat(9000));
    add('missing claim', (t) => hs.verify(t), await sign(SECRET_32, 'HS256', { iss: CLAIM_OPTIONS.issuer, aud: CLAIM_OPTIONS.audience }));
    return tokens;
  };

  it('holds for messages, headers, bodies and hints', async () => {
    for (const [label, run, token] of await failures()) {
      let caught: unknown;
      try {
        await run();
      } catch (error) {
        caught = error;
      }
      expect(caught, label).toBeInstanceOf(JwtGuardError);
      const error = caught as JwtGuardError;
      const response = errorResponse(error);
      const visible = [error.message, response.body, response.headers['www-authenticate'] ?? ''];
      const signature = token.split('.')[2];
      for (const text of visible) {
        expect(text, label).not.toContain(token);
        if (signature) expect(text, label).not.toContain(signature);
        expect(text, label).not.toContain(SECRET_32);
        expect(text, label).not.toContain('evil.example');
        expect(text, label).not.toContain('opaque-token-value');
      }
      expect(error.hint ?? '', label).not.toContain(token);
      if (signature) expect(error.hint ?? '', label).not.toContain(signature);
      expect(error.hint ?? '', label).not.toContain(SECRET_32);
    }
  });

  it('holds for a configuration error about a weak secret', () => {
    const weak = 'hunter2hunter2';
    let caught: unknown;
    try {
      createVerifier({ secret: weak, ...CLAIM_OPTIONS });
    } catch (error) {
      caught = error;
    }
    expect((caught as JwtGuardError).message).not.toContain(weak);
    expect((caught as JwtGuardError).message).toContain('14 bytes');
  });

  it('keeps the message generic for the signature check', async () => {
    const hs = createVerifier({ secret: SECRET_32, ...CLAIM_OPTIONS });
    const error = await rejection(hs.verify(await sign('Another-secret-that-is-long-enough!!', 'HS256')), 'signature_invalid');
    expect(error.toJSON()).toEqual({ error: 'signature_invalid', error_description: 'The access token signature is invalid.' });
  });
});
