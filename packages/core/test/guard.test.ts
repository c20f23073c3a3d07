import { describe, expect, it, vi } from 'vitest';
import {
  claimRequirement,
  createGuard,
  errorResponse,
  fromAuthorizationHeader,
  fromCookie,
  fromHeader,
  JwtGuardError,
  scopeRequirement,
  type AuthContext,
  type GuardOptions,
  type GuardOutcome,
  type GuardRequest,
  type RejectedEvent,
  type VerifiedEvent,
} from '@jwt-guard/core';
import { cacheLookupOf } from '../src/token-cache.js';
import { CLAIM_OPTIONS, configError, expectGuardError, nowSeconds, SECRET_32, sign, validClaims } from './helpers.js';

const guard = (options: Partial<GuardOptions> = {}, extra?: readonly string[]) =>
  createGuard({ secret: SECRET_32, ...CLAIM_OPTIONS, ...options }, extra);

function request(init: Partial<GuardRequest> & { authorization?: string | string[] } = {}): GuardRequest {
  const { authorization, headers = {}, ...rest } = init;
  return {
    method: 'GET',
    url: '/orders',
    headers: authorization === undefined ? headers : { ...headers, authorization },
    ...rest,
  };
}

const goodToken = (extra = {}) => sign(SECRET_32, 'HS256', validClaims(extra));
const expiredToken = () => sign(SECRET_32, 'HS256', validClaims({ exp: nowSeconds() - 60 }));

function rejected(outcome: GuardOutcome, code: string, status: number): JwtGuardError {
  expect(outcome.type).toBe('rejected');
  const error = (outcome as { error: JwtGuardError }).error;
  return expectGuardError(error, code as JwtGuardError['code'], status);
}

function authenticated(outcome: GuardOutcome): AuthContext {
  expect(outcome).toMatchObject({ type: 'authenticated' });
  return (outcome as { auth: AuthContext }).auth;
}

describe('Authorization: Bearer extraction', () => {
  it.each(['Bearer', 'bearer', 'BEARER', 'bEaReR'])('accepts the scheme spelled %s', async (scheme) => {
    const token = await goodToken();
    const auth = authenticated(await guard().authenticate(request({ authorization: `${scheme} ${token}` })));
    expect(auth.token).toBe(token);
    expect(auth.payload.sub).toBe('user-1');
  });

  it('tolerates several spaces after the scheme and trailing spaces', async () => {
    const token = await goodToken();
    authenticated(await guard().authenticate(request({ authorization: `Bearer   ${token}  ` })));
  });

  it('treats another scheme as no token', async () => {
    for (const authorization of ['Basic dXNlcjpwYXNzd29yZA==', 'DPoP eyJ.a.b', 'Bearerx abc', '']) {
      const error = rejected(await guard().authenticate(request({ authorization })), 'token_missing', 401);
      expect(error.message).toBe('No access token was provided.');
      expect(error.wwwAuthenticate).toBe('Bearer');
    }
  });

  it('treats no Authorization header as no token', async () => {
    rejected(await guard().authenticate(request()), 'token_missing', 401);
  });

  it.each(['Bearer', 'Bearer ', 'Bearer a b', 'Bearer "tok"', 'Bearer\ttok', 'Bearer a,b'])(
    'refuses the malformed header %j as invalid_request (400)',
    async (authorization) => {
      const error = rejected(await guard().authenticate(request({ authorization })), 'invalid_request', 400);
      expect(error.message).toBe('The Authorization header is malformed; expected "Bearer <token>".');
      expect(error.wwwAuthenticate).toBe(
        'Bearer error="invalid_request", error_description="The Authorization header is malformed; expected Bearer <token>."',
      );
    },
  );

  it('passes a padded token on to the JWT parser, which refuses it as malformed (401, not 400)', async () => {
    const token = await goodToken();
    const error = rejected(await guard().authenticate(request({ authorization: `Bearer ${token}==` })), 'token_malformed', 401);
    expect(error.hint).toBe('a segment is not canonical unpadded base64url (padding, +, / or stray bits)');
  });

  it('refuses a token in both the header and the access_token query parameter', async () => {
    const token = await goodToken();
    for (const url of [`/orders?access_token=${token}`, `/orders?page=2&access_token=${token}`]) {
      const error = rejected(await guard().authenticate(request({ url, authorization: `Bearer ${token}` })), 'invalid_request', 400);
      expect(error.message).toBe('The access token was sent in more than one place.');
    }
  });

  it('does not read the access_token query parameter alone', async () => {
    const token = await goodToken();
    rejected(await guard().authenticate(request({ url: `/orders?access_token=${token}` })), 'token_missing', 401);
    // A parameter that merely ends in access_token is not one.
    authenticated(await guard().authenticate(request({ url: '/orders?my_access_token=1', authorization: `Bearer ${token}` })));
  });

  it('refuses two Authorization headers', async () => {
    const token = await goodToken();
    const error = rejected(await guard().authenticate(request({ authorization: [`Bearer ${token}`, `Bearer ${token}`] })), 'invalid_request', 400);
    expect(error.message).toBe('The request has more than one authorization header.');
  });

  it('is exported as fromAuthorizationHeader', async () => {
    expect(fromAuthorizationHeader(request({ authorization: 'Bearer abc.def.ghi' }))).toBe('abc.def.ghi');
    expect(fromAuthorizationHeader(request({ authorization: 'Basic abc' }))).toBeUndefined();
  });

  it('gives a token answered from the cache the same verdicts as one verified in full', async () => {
    let now = new Date();
    const g = guard({ currentDate: () => now });
    const token = await goodToken({ exp: nowSeconds() + 60 });
    for (let use = 0; use < 3; use++) authenticated(await g.authenticate(request({ authorization: `Bearer ${token}` })));
    // Cached now (admitted on its second use): the checks the cache lookup runs ahead of still decide.
    expect(cacheLookupOf(g.verifier)?.(token)).toMatchObject({ token });
    const both = request({ url: `/orders?access_token=${token}`, authorization: `Bearer ${token}` });
    expect(rejected(await g.authenticate(both), 'invalid_request', 400).message).toBe('The access token was sent in more than one place.');
    rejected(await g.authenticate(request({ authorization: [`Bearer ${token}`, `Bearer ${token}`] })), 'invalid_request', 400);
    authenticated(await g.authenticate(request({ authorization: `Bearer   ${token}  ` })));
    rejected(await g.authenticate(request({ authorization: `Bearer ${token}x` })), 'signature_invalid', 401);
    now = new Date(Date.now() + 120_000);
    rejected(await g.authenticate(request({ authorization: `Bearer ${token}` })), 'token_expired', 401);
  });

  it('rejects an invalid token with its verification code', async () => {
    const error = rejected(await guard().authenticate(request({ authorization: `Bearer ${await expiredToken()}` })), 'token_expired', 401);
    expect(error.wwwAuthenticate).toBe('Bearer error="invalid_token", error_description="The access token has expired."');
  });
});

describe('credentialsRequired and anonymousOnInvalidToken', () => {
  it('lets a request without a token through as anonymous when credentials are optional', async () => {
    const onRejected = vi.fn();
    const outcome = await guard({ credentialsRequired: false, onRejected }).authenticate(request());
    expect(outcome).toEqual({ type: 'anonymous', error: undefined });
    expect(onRejected).not.toHaveBeenCalled();
  });

  it('still refuses a bad token when credentials are optional', async () => {
    const g = guard({ credentialsRequired: false });
    rejected(await g.authenticate(request({ authorization: `Bearer ${await expiredToken()}` })), 'token_expired', 401);
    rejected(await g.authenticate(request({ authorization: 'Bearer not-a-jwt' })), 'token_malformed', 401);
    rejected(await g.authenticate(request({ authorization: 'Bearer' })), 'invalid_request', 400);
  });

  it('authenticates a good token when credentials are optional', async () => {
    authenticated(await guard({ credentialsRequired: false }).authenticate(request({ authorization: `Bearer ${await goodToken()}` })));
  });

  it('with anonymousOnInvalidToken, lets a bad token through as anonymous, keeping the error', async () => {
    const events: RejectedEvent[] = [];
    const g = guard({ credentialsRequired: false, anonymousOnInvalidToken: true, realm: 'api', onRejected: (event) => events.push(event) });
    const outcome = await g.authenticate(request({ authorization: `Bearer ${await expiredToken()}` }));
    expect(outcome.type).toBe('anonymous');
    const error = (outcome as { error: JwtGuardError }).error;
    expectGuardError(error, 'token_expired', 401);
    expect(error.realm).toBe('api');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ code: 'token_expired', status: 401, passedAsAnonymous: true });
  });

  it('with anonymousOnInvalidToken, still refuses malformed requests and unavailable key sources', async () => {
    const g = guard({ credentialsRequired: false, anonymousOnInvalidToken: true });
    rejected(await g.authenticate(request({ authorization: 'Bearer a b' })), 'invalid_request', 400);
    const unavailable = createGuard({
      getKey: () => {
        throw new Error('down');
      },
      algorithms: ['HS256'],
      ...CLAIM_OPTIONS,
      credentialsRequired: false,
      anonymousOnInvalidToken: true,
    });
    rejected(await unavailable.authenticate(request({ authorization: `Bearer ${await goodToken()}` })), 'key_source_unavailable', 503);
  });

  it('refuses anonymousOnInvalidToken without credentialsRequired: false', () => {
    expect(configError(() => guard({ anonymousOnInvalidToken: true })).message).toContain(
      'anonymousOnInvalidToken only makes sense with credentialsRequired: false',
    );
  });

  it('refuses a non-boolean credentialsRequired', () => {
    expect(configError(() => guard({ credentialsRequired: 'no' as unknown as boolean })).message).toContain(
      'credentialsRequired must be true or false',
    );
  });
});

describe('CORS preflight', () => {
  const preflight = request({ method: 'OPTIONS', headers: { 'access-control-request-method': 'POST', origin: 'https://app.example' } });

  it('lets a preflight through without a token', async () => {
    const onRejected = vi.fn();
    expect(await guard({ onRejected }).authenticate(preflight)).toEqual({ type: 'preflight' });
    expect(onRejected).not.toHaveBeenCalled();
  });

  it('does not treat a plain OPTIONS request as a preflight', async () => {
    rejected(await guard().authenticate(request({ method: 'OPTIONS' })), 'token_missing', 401);
  });

  it('can be turned off with allowPreflight: false', async () => {
    rejected(await guard({ allowPreflight: false }).authenticate(preflight), 'token_missing', 401);
  });
});

describe('realm', () => {
  it('is announced on every refusal', async () => {
    const g = guard({ realm: 'orders-api' });
    expect(rejected(await g.authenticate(request()), 'token_missing', 401).wwwAuthenticate).toBe('Bearer realm="orders-api"');
    const error = rejected(await g.authenticate(request({ authorization: `Bearer ${await expiredToken()}` })), 'token_expired', 401);
    expect(error.wwwAuthenticate).toBe('Bearer realm="orders-api", error="invalid_token", error_description="The access token has expired."');
    expect(errorResponse(error).headers['www-authenticate']).toBe(error.wwwAuthenticate);
  });

  it('is added by refuse() to errors made after authentication', () => {
    const g = guard({ realm: 'orders-api' });
    const refusal = g.refuse(request(), new JwtGuardError('insufficient_scope', 'Need admin.', { requiredScopes: ['admin'] }));
    expect(refusal.wwwAuthenticate).toBe('Bearer realm="orders-api", error="insufficient_scope", error_description="Need admin.", scope="admin"');
  });

  it('refuses a realm with quotes, backslashes or line breaks', () => {
    for (const realm of ['my "api"', 'a\\b', 'a\r\nb']) {
      expect(configError(() => guard({ realm })).message).toContain('realm must be a string without quotes, backslashes or line breaks');
    }
  });
});

describe('onVerified and onRejected', () => {
  it('onVerified receives what was verified, never the token', async () => {
    const events: VerifiedEvent[] = [];
    const token = await goodToken({ scope: 'read write' });
    authenticated(
      await guard({ onVerified: (event) => events.push(event) }).authenticate(
        request({ method: 'POST', url: `/orders?x=1&session=${token}`, authorization: `Bearer ${token}` }),
      ),
    );
    expect(events).toHaveLength(1);
    const event = events[0]!;
    expect(event).toMatchObject({ header: { alg: 'HS256' }, payload: { sub: 'user-1' }, method: 'POST', url: '/orders' });
    expect([...event.scopes]).toEqual(['read', 'write']);
    expect(typeof event.durationMs).toBe('number');
    expect(event.durationMs).toBeGreaterThanOrEqual(0);
    expect(JSON.stringify(event)).not.toContain(token);
    expect(JSON.stringify(event)).not.toContain(token.split('.')[2]);
    expect(Object.keys(event).sort()).toEqual(['durationMs', 'header', 'method', 'payload', 'scopes', 'url']);
  });

  it('onRejected receives the code, status and hint, never the token', async () => {
    const events: RejectedEvent[] = [];
    const g = guard({ onRejected: (event) => events.push(event) });
    const expired = await expiredToken();
    const opaque = 'opaque-access-token-abcdef';
    await g.authenticate(request({ url: '/a', authorization: `Bearer ${expired}` }));
    await g.authenticate(request({ url: '/b', authorization: `Bearer ${opaque}` }));
    await g.authenticate(request({ url: `/c?access_token=${expired}#access_token=${opaque}` }));
    expect(events.map((event) => [event.code, event.status, event.url, event.passedAsAnonymous])).toEqual([
      ['token_expired', 401, '/a', false],
      ['token_malformed', 401, '/b', false],
      ['token_missing', 401, '/c', false],
    ]);
    expect(events[1]!.hint).toContain('opaque access token');
    for (const event of events) {
      expect(event.error).toBeInstanceOf(JwtGuardError);
      expect(event.error.code).toBe(event.code);
      const { error, ...rest } = event;
      const serialised = JSON.stringify(rest) + JSON.stringify(error) + error.message;
      expect(serialised).not.toContain(expired);
      expect(serialised).not.toContain(expired.split('.')[2]);
      expect(serialised).not.toContain(opaque);
    }
  });

  it('a throwing onVerified does not break authentication', async () => {
    const g = guard({
      onVerified: () => {
        throw new Error('metrics down');
      },
    });
    authenticated(await g.authenticate(request({ authorization: `Bearer ${await goodToken()}` })));
  });

  it('a throwing onRejected does not change the refusal', async () => {
    const onRejected = vi.fn(() => {
      throw new Error('logger down');
    });
    const g = guard({ onRejected });
    rejected(await g.authenticate(request({ authorization: `Bearer ${await expiredToken()}` })), 'token_expired', 401);
    expect(onRejected).toHaveBeenCalledTimes(1);
    expect(() => g.refuse(request(), new JwtGuardError('insufficient_scope', 'x'))).not.toThrow();
  });

  it('async hooks that reject are ignored like a synchronous throw: no unhandled rejection, same outcome', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const g = guard({
        onVerified: async () => {
          await Promise.resolve();
          throw new Error('metrics down');
        },
        onRejected: () => Promise.reject(new Error('logger down')),
      });
      authenticated(await g.authenticate(request({ authorization: `Bearer ${await goodToken()}` })));
      rejected(await g.authenticate(request({ authorization: `Bearer ${await expiredToken()}` })), 'token_expired', 401);
      expectGuardError(g.refuse(request(), new JwtGuardError('insufficient_scope', 'x')), 'insufficient_scope', 403);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('refuse() reports the refusal to onRejected', () => {
    const events: RejectedEvent[] = [];
    const g = guard({ onRejected: (event) => events.push(event) });
    g.refuse(request({ method: 'DELETE', url: '/orders/1' }), new JwtGuardError('claim_mismatch', 'No.', { hint: 'claim "role" did not match' }));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      code: 'claim_mismatch',
      status: 403,
      hint: 'claim "role" did not match',
      passedAsAnonymous: false,
      method: 'DELETE',
      url: '/orders/1',
    });
  });
});

describe('token getters', () => {
  it('fromCookie reads the named cookie from the Cookie header itself: no cookie parser needed', async () => {
    const token = await goodToken();
    const g = guard({ getToken: fromCookie('access_token') });
    const withCookie = (cookie: string, init: Parameters<typeof request>[0] = {}) => request({ ...init, headers: { cookie } });
    expect(authenticated(await g.authenticate(withCookie(`theme=dark; access_token=${token}; lang=en`))).token).toBe(token);
    rejected(await g.authenticate(request()), 'token_missing', 401);
    rejected(await g.authenticate(withCookie('theme=dark')), 'token_missing', 401);
    rejected(await g.authenticate(withCookie('access_token=')), 'token_missing', 401);
    // A name is compared exactly: neither a prefix nor another case is the cookie.
    rejected(await g.authenticate(withCookie(`my_access_token=${token}; ACCESS_TOKEN=${token}`)), 'token_missing', 401);
    // A Bearer header alone is a token in one place, not the configured one: no token here.
    rejected(await g.authenticate(request({ authorization: `Bearer ${token}` })), 'token_missing', 401);
  });

  it('fromCookie decodes by one rule: one pair of quotes stripped, %XX decoded, nothing else', async () => {
    const token = await goodToken();
    const g = guard({ getToken: fromCookie('at') });
    const withCookie = (cookie: string | string[]) => request({ headers: { cookie } });
    for (const cookie of [`at="${token}"`, `at=${token.replaceAll('.', '%2E')}`, `at="${token.replaceAll('.', '%2e')}"`, ` at = ${token} ;`, ['a=1', `at=${token}`]]) {
      expect(authenticated(await g.authenticate(withCookie(cookie))).token, JSON.stringify(cookie)).toBe(token);
    }
    for (const cookie of [`at=""${token}""`, `at=j:${JSON.stringify(token)}`, `at=s:${token}`, `at=${token}%ZZ`, `at=%22${token}%22`]) {
      rejected(await g.authenticate(withCookie(cookie)), 'token_malformed', 401);
    }
  });

  it('a cookie sent twice is a token in two places (400), even with the same value', async () => {
    const token = await goodToken();
    const g = guard({ getToken: fromCookie('at') });
    for (const cookie of [`at=${token}; at=${token}`, `at=${token}; at=other`, `at=; at=${token}`]) {
      const error = rejected(await g.authenticate(request({ headers: { cookie } })), 'invalid_request', 400);
      expect(error.message).toBe('The access token was sent in more than one place.');
      expect(error.hint).toBe('more than one cookie named at');
    }
  });

  it('refuses a cookie name that is not an RFC 6265 token', () => {
    for (const name of ['', 'a b', 'a;b', 'a=b', 'ü']) expect(() => fromCookie(name)).toThrow(TypeError);
  });

  it('fromHeader reads and trims a custom header', async () => {
    const token = await goodToken();
    const g = guard({ getToken: fromHeader('X-Access-Token') });
    authenticated(await g.authenticate(request({ headers: { 'x-access-token': ` ${token} ` } })));
    rejected(await g.authenticate(request({ headers: { 'x-access-token': '  ' } })), 'token_missing', 401);
    rejected(await g.authenticate(request({ authorization: `Bearer ${token}` })), 'token_missing', 401);
    rejected(await g.authenticate(request({ headers: { 'x-access-token': [token, token] } })), 'invalid_request', 400);
  });

  it('whatever the getter, credentials in more than one place are 400 invalid_request (RFC 6750 §2)', async () => {
    const token = await goodToken();
    const cookieGuard = guard({ getToken: fromCookie('at') });
    const headerGuard = guard({ getToken: fromHeader('x-access-token') });
    const custom = guard({ getToken: (req) => (typeof req.headers['x-token'] === 'string' ? req.headers['x-token'] : undefined) });
    const cases: [ReturnType<typeof guard>, Parameters<typeof request>[0], string][] = [
      [cookieGuard, { headers: { cookie: `at=${token}` }, authorization: `Bearer ${token}` }, 'Authorization header and at cookie'],
      [cookieGuard, { headers: { cookie: `at=${token}` }, authorization: 'Bearer garbage' }, 'Authorization header and at cookie'],
      [cookieGuard, { headers: { cookie: `at=${token}` }, authorization: 'bearer' }, 'Authorization header and at cookie'],
      [cookieGuard, { headers: { cookie: `at=${token}` }, url: `/orders?access_token=${token}` }, 'access_token query parameter and at cookie'],
      [cookieGuard, { headers: { cookie: `at=${token}` }, url: `/orders?access%5Ftoken=${token}` }, 'access_token query parameter and at cookie'],
      // No cookie, but still two places.
      [cookieGuard, { authorization: `Bearer ${token}`, url: `/orders?access_token=${token}` }, 'Authorization header and access_token query parameter'],
      [cookieGuard, { url: `/orders?access_token=a&access_token=b` }, 'access_token query parameter and access_token query parameter'],
      [headerGuard, { headers: { 'x-access-token': token }, authorization: `Bearer ${token}` }, 'Authorization header and x-access-token header'],
      [headerGuard, { headers: { 'x-access-token': token }, url: `/o?page=1&%61ccess_token=${token}` }, 'access_token query parameter and x-access-token header'],
      [custom, { headers: { 'x-token': token }, authorization: 'Bearer other' }, 'Authorization header and getToken'],
    ];
    for (const [g, init, hint] of cases) {
      const error = rejected(await g.authenticate(request(init)), 'invalid_request', 400);
      expect(error.message).toBe('The access token was sent in more than one place.');
      expect(error.hint, hint).toBe(hint);
      expect(error.hint).not.toContain(token);
    }
    // Another scheme is not a bearer credential; a custom getter that read the Bearer header is one place.
    authenticated(await cookieGuard.authenticate(request({ headers: { cookie: `at=${token}` }, authorization: 'Basic dXNlcjpwYXNz' })));
    const readsHeader = guard({ getToken: (req) => String(req.headers.authorization).slice(7) });
    authenticated(await readsHeader.authenticate(request({ authorization: `Bearer ${token}` })));
  });

  it('sees repeated Authorization headers in rawHeaders (Node keeps only the first in headers), whatever the getter', async () => {
    const token = await goodToken();
    const rawHeaders = ['Host', 'api', 'Authorization', `Bearer ${token}`, 'authorization', 'Bearer other'];
    const g = guard();
    // Warm the cache, so the fast path is the one that has to notice.
    for (let use = 0; use < 3; use++) authenticated(await g.authenticate(request({ authorization: `Bearer ${token}` })));
    const repeated = request({ authorization: `Bearer ${token}`, rawHeaders });
    expect(rejected(await g.authenticate(repeated), 'invalid_request', 400).message).toBe('The request has more than one authorization header.');
    const cookieGuard = guard({ getToken: fromCookie('at') });
    rejected(await cookieGuard.authenticate(request({ headers: { cookie: `at=${token}` }, authorization: `Bearer ${token}`, rawHeaders })), 'invalid_request', 400);
    const headerGuard = guard({ getToken: fromHeader('x-access-token') });
    const twice = request({ headers: { 'x-access-token': `${token}, ${token}` }, rawHeaders: ['X-Access-Token', token, 'x-access-token', token] });
    expect(rejected(await headerGuard.authenticate(twice), 'invalid_request', 400).message).toBe('The request has more than one x-access-token header.');
    authenticated(await g.authenticate(request({ authorization: `Bearer ${token}`, rawHeaders: ['Host', 'api', 'Authorization', `Bearer ${token}`] })));
  });

  it('sees a percent-encoded access_token parameter beside the Bearer header, on the cached path too', async () => {
    const token = await goodToken();
    const g = guard();
    for (let use = 0; use < 3; use++) authenticated(await g.authenticate(request({ authorization: `Bearer ${token}` })));
    for (const url of [`/orders?access%5Ftoken=${token}`, `/orders?access%5ftoken=`, `/orders?x=%20&%61ccess_token=1`, '/orders?access_token']) {
      rejected(await g.authenticate(request({ url, authorization: `Bearer ${token}` })), 'invalid_request', 400);
    }
    for (const url of ['/orders?q=%20access', '/orders?my_access_token=1', '/orders?access_token_hint=1', '/access_token=1']) {
      authenticated(await g.authenticate(request({ url, authorization: `Bearer ${token}` })));
    }
  });

  it('fromCookie and fromHeader need a name', () => {
    expect(() => fromCookie('')).toThrow(TypeError);
    expect(() => fromHeader('')).toThrow(TypeError);
  });

  it('a getter that throws something unexpected becomes token_malformed, hinting the cause', async () => {
    const g = guard({
      getToken: () => {
        throw new Error('parser exploded');
      },
    });
    const error = rejected(await g.authenticate(request()), 'token_malformed', 401);
    expect(error.hint).toBe('unexpected error: parser exploded');
    expect(error.message).toBe('The access token is malformed.');
  });

  it('refuses a getToken that is not a function', () => {
    expect(configError(() => guard({ getToken: 'authorization' as unknown as GuardOptions['getToken'] })).message).toContain(
      'getToken must be a function',
    );
  });
});

describe('createGuard options', () => {
  it('refuses unknown option names, guard options included', () => {
    expect(configError(() => guard({ credentialRequired: false } as Partial<GuardOptions>)).message).toBe(
      'jwt-guard configuration: unknown option "credentialRequired"; did you mean "credentialsRequired"?',
    );
    expect(configError(() => guard({ onReject: () => undefined } as Partial<GuardOptions>)).message).toContain('did you mean "onRejected"?');
  });

  it('accepts extra option names an adapter declares', () => {
    expect(() => guard({ adapterOption: 1 } as Partial<GuardOptions>, ['adapterOption'])).not.toThrow();
    expect(configError(() => guard({ adapterOption: 1 } as Partial<GuardOptions>)).message).toContain('unknown option "adapterOption"');
  });

  it('passes verifier options through and exposes the verifier', async () => {
    const g = guard({ typ: 'at+jwt', realm: 'r' });
    expect(g.verifier.algorithms).toEqual(['HS256']);
    rejected(await g.authenticate(request({ authorization: `Bearer ${await goodToken()}` })), 'type_mismatch', 401);
  });

  it('refuses a missing options object and verifier misconfiguration', () => {
    expect(configError(() => createGuard(null as unknown as GuardOptions)).message).toContain('needs an options object');
    expect(configError(() => createGuard({ secret: SECRET_32 })).message).toContain('issuer is required');
  });
});

describe('requirements', () => {
  const auth = async (extra = {}): Promise<AuthContext> =>
    authenticated(await guard().authenticate(request({ authorization: `Bearer ${await goodToken(extra)}` })));

  it('scopeRequirement all-of needs every scope', async () => {
    const requirement = scopeRequirement(['read', 'write'], 'all');
    expect(requirement(await auth({ scope: 'read write admin' }), undefined)).toBeUndefined();
    const error = requirement(await auth({ scope: 'read' }), undefined)!;
    expectGuardError(error, 'insufficient_scope', 403);
    expect(error.message).toBe('The access token does not have the scope this request requires.');
    expect(error.requiredScopes).toEqual(['read', 'write']);
    expect(error.hint).toBe('the route requires all of "read write" but the token has "read"; request the scope from the issuer.');
    expect(error.wwwAuthenticate).toBe(
      'Bearer error="insufficient_scope", error_description="The access token does not have the scope this request requires.", scope="read write"',
    );
  });

  it('scopeRequirement any-of needs one scope', async () => {
    const requirement = scopeRequirement(['admin', 'write'], 'any');
    expect(requirement(await auth({ scp: ['write'] }), undefined)).toBeUndefined();
    const error = requirement(await auth({ scope: 'read' }), undefined)!;
    expectGuardError(error, 'insufficient_scope', 403);
    expect(error.hint).toBe('the route requires any of "admin write" but the token has "read"; request the scope from the issuer.');
  });

  it('scopeRequirement refuses invalid scope lists at definition time', () => {
    expect(configError(() => scopeRequirement([], 'all')).message).toContain('requireScope() needs at least one scope');
    expect(configError(() => scopeRequirement([], 'any')).message).toContain('requireAnyScope() needs at least one scope');
    for (const scope of ['a b', 'say"', 'back\\slash', '', 'ü']) {
      expect(configError(() => scopeRequirement([scope], 'all')).message).toContain('is not a valid scope token');
    }
  });

  it('claimRequirement matches a value, one of several values, or an array claim', async () => {
    const admin = await auth({ role: 'admin', groups: ['staff', 'ops'], level: 3, active: true });
    expect(claimRequirement('role', 'admin')(admin, undefined)).toBeUndefined();
    expect(claimRequirement('role', ['owner', 'admin'])(admin, undefined)).toBeUndefined();
    expect(claimRequirement('groups', 'ops')(admin, undefined)).toBeUndefined();
    expect(claimRequirement('groups', ['x', 'staff'])(admin, undefined)).toBeUndefined();
    expect(claimRequirement('level', 3)(admin, undefined)).toBeUndefined();
    expect(claimRequirement('active', true)(admin, undefined)).toBeUndefined();

    for (const [name, expected] of [
      ['role', 'owner'],
      ['role', ['owner', 'editor']],
      ['groups', 'billing'],
      ['level', '3'],
      ['active', 'true'],
      ['missing', 'x'],
    ] as const) {
      const error = claimRequirement(name, expected)(admin, undefined)!;
      expectGuardError(error, 'claim_mismatch', 403);
      expect(error.message).toBe('The access token does not grant access to this resource.');
      expect(error.hint).toMatch(new RegExp(`^a requireClaim check failed: the token's "${name}" is .* but .* is required; `));
      expect(error.wwwAuthenticate).toBe(
        'Bearer error="insufficient_scope", error_description="The access token does not grant access to this resource."',
      );
    }
  });

  it('claimRequirement accepts a predicate, receiving the value and the payload', async () => {
    const context = await auth({ tenant: 'acme', plan: 'pro' });
    const predicate = vi.fn((value: unknown, payload: Record<string, unknown>) => value === 'acme' && payload.plan === 'pro');
    expect(claimRequirement('tenant', predicate)(context, undefined)).toBeUndefined();
    expect(predicate).toHaveBeenCalledWith('acme', context.payload);
    expectGuardError(claimRequirement('tenant', () => false)(context, undefined), 'claim_mismatch', 403);
    // Only `true` passes; truthy values do not.
    expectGuardError(claimRequirement('tenant', (() => 1) as unknown as () => boolean)(context, undefined), 'claim_mismatch', 403);
    // A predicate that throws is a mismatch, not a crash.
    const throwing = claimRequirement('tenant', () => {
      throw new Error('bug');
    });
    expectGuardError(throwing(context, undefined), 'claim_mismatch', 403);
  });

  it('claimRequirement reads own claims only, never inherited properties', async () => {
    const plain = await auth();
    for (const name of ['constructor', 'toString', 'hasOwnProperty', '__proto__']) {
      const predicate = vi.fn((value: unknown) => value != null);
      expectGuardError(claimRequirement(name, predicate)(plain, undefined), 'claim_mismatch', 403);
      expect(predicate).toHaveBeenCalledWith(undefined, plain.payload);
    }
    expect(claimRequirement('constructor', 'own')(await auth({ constructor: 'own' }), undefined)).toBeUndefined();
  });

  it('claimRequirement refuses a missing name or expectation', () => {
    expect(configError(() => claimRequirement('', 'x')).message).toContain('requireClaim(name, expected) needs a claim name');
    expect(configError(() => claimRequirement('role', undefined as unknown as string)).message).toContain(
      'requireClaim("role") needs an expected value',
    );
  });

  it('answers 401 (not 403) when the request is not authenticated', async () => {
    const requirements = [scopeRequirement(['read'], 'all'), scopeRequirement(['read'], 'any'), claimRequirement('role', 'admin')];
    for (const requirement of requirements) {
      const missing = requirement(undefined, undefined)!;
      expectGuardError(missing, 'token_missing', 401);
      expect(missing.wwwAuthenticate).toBe('Bearer');
    }
    // Anonymous after an invalid token: the requirement answers with that token's error.
    const g = guard({ credentialsRequired: false, anonymousOnInvalidToken: true });
    const outcome = await g.authenticate(request({ authorization: `Bearer ${await expiredToken()}` }));
    const authError = (outcome as { error: JwtGuardError }).error;
    for (const requirement of requirements) {
      expect(requirement(undefined, authError)).toBe(authError);
    }
    expectGuardError(authError, 'token_expired', 401);
  });
});
