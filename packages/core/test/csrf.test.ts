import { afterEach, describe, expect, it, vi } from 'vitest';
import { appendVary, createGuard, errorResponse, explainRefusal, fromCookie, fromHeader, type GuardOptions, type GuardOutcome, type GuardRequest, type TokenGetter } from '@jwt-guard/core';
import { csrfPolicyOf, csrfRefusal, needsCsrfCheck, type CsrfPolicy } from '../src/http/csrf.js';
import { CLAIM_OPTIONS, expectGuardError, SECRET_32, sign, validClaims } from './helpers.js';

const APP = 'https://app.example.com';
const policy = (extra: Partial<CsrfPolicy> = {}): CsrfPolicy => ({ trustedOrigins: [APP], allowSameSite: false, ...extra });
const post = (headers: Record<string, string | string[]>, method = 'POST'): GuardRequest => ({ method, url: '/orders', headers });

describe('the CSRF decision (Fetch Metadata, then Origin)', () => {
  it.each<[string, Record<string, string | string[]>, Partial<CsrfPolicy>, 'pass' | 'Sec-Fetch-Site' | 'Origin' | 'neither']>([
    ['same-origin passes', { 'sec-fetch-site': 'same-origin' }, {}, 'pass'],
    ['same-origin passes whatever Origin says', { 'sec-fetch-site': 'same-origin', origin: 'https://evil.test' }, {}, 'pass'],
    ['cross-site is refused', { 'sec-fetch-site': 'cross-site' }, {}, 'Sec-Fetch-Site'],
    ['cross-site is refused even from a trusted Origin', { 'sec-fetch-site': 'cross-site', origin: APP }, {}, 'Sec-Fetch-Site'],
    ['same-site is refused by default', { 'sec-fetch-site': 'same-site' }, {}, 'Sec-Fetch-Site'],
    ['same-site passes with allowSameSite', { 'sec-fetch-site': 'same-site' }, { allowSameSite: true }, 'pass'],
    ['allowSameSite does not let cross-site through', { 'sec-fetch-site': 'cross-site' }, { allowSameSite: true }, 'Sec-Fetch-Site'],
    ['none (a user navigation) is refused for an unsafe method', { 'sec-fetch-site': 'none', origin: APP }, {}, 'Sec-Fetch-Site'],
    ['an unknown value is ignored: a trusted Origin decides', { 'sec-fetch-site': 'Same-Origin', origin: APP }, {}, 'pass'],
    ['an unknown value is ignored, never trusted', { 'sec-fetch-site': 'trusted' }, {}, 'neither'],
    ['several values joined are unknown', { 'sec-fetch-site': 'same-origin, cross-site', origin: 'https://evil.test' }, {}, 'Origin'],
    ['an array of values is unknown', { 'sec-fetch-site': ['same-origin', 'same-origin'] }, {}, 'neither'],
    ['a trusted Origin passes', { origin: APP }, {}, 'pass'],
    ['Origin is compared without case', { origin: 'HTTPS://APP.EXAMPLE.COM' }, {}, 'pass'],
    ['a look-alike suffix is refused', { origin: 'https://app.example.com.evil.test' }, {}, 'Origin'],
    ['a look-alike prefix is refused', { origin: 'https://evilapp.example.com' }, {}, 'Origin'],
    ['another port is refused', { origin: 'https://app.example.com:444' }, {}, 'Origin'],
    ['another scheme is refused', { origin: 'http://app.example.com' }, {}, 'Origin'],
    ['Origin null is refused', { origin: 'null' }, {}, 'Origin'],
    ['an Origin with no trusted origins configured is refused', { origin: APP }, { trustedOrigins: [] }, 'Origin'],
    ['neither header is refused', {}, {}, 'neither'],
  ])('%s', (_name, headers, extra, expected) => {
    const facts = csrfRefusal(post(headers), policy(extra));
    if (expected === 'pass') expect(facts).toBeUndefined();
    else expect(facts?.header ?? 'neither').toBe(expected);
  });

  it('bounds the header values it keeps for the hint', () => {
    const facts = csrfRefusal(post({ origin: `https://${'a'.repeat(300)}.test`, 'sec-fetch-site': 'x'.repeat(300) }), policy());
    expect(facts?.value?.length).toBeLessThanOrEqual(101);
    expect(facts?.ignoredSecFetchSite?.length).toBeLessThanOrEqual(101);
  });

  it('runs only for unsafe methods (any case) and cookie tokens', () => {
    const cookie = { kind: 'cookie', name: 'at' } as const;
    const custom = { kind: 'custom' } as const;
    for (const method of ['GET', 'HEAD', 'OPTIONS', 'get', 'head', 'options']) expect(needsCsrfCheck(post({}, method), cookie, 't'), method).toBe(false);
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'post', 'PROPFIND']) expect(needsCsrfCheck(post({}, method), cookie, 't'), method).toBe(true);
    // A custom getter's token counts as a cookie token when a cookie holds exactly that value (decoded).
    expect(needsCsrfCheck(post({ cookie: 'theme=dark; sid=a.b.c' }), custom, 'a.b.c')).toBe(true);
    expect(needsCsrfCheck(post({ cookie: 'sid="a%2Eb.c"' }), custom, 'a.b.c')).toBe(true);
    expect(needsCsrfCheck(post({ cookie: 'sid=a.b.cd' }), custom, 'a.b.c')).toBe(false);
    expect(needsCsrfCheck(post({}), custom, 'a.b.c')).toBe(false);
  });
});

describe('csrf options, checked at start-up', () => {
  const cookieGuard = (csrf: unknown) => createGuard({ secret: SECRET_32, ...CLAIM_OPTIONS, getToken: fromCookie('at'), csrf } as GuardOptions);

  it.each<[unknown, RegExp]>([
    [0, /csrf must be false \(no CSRF defence\), true \(the default defence\) or an object/],
    [null, /csrf must be false/],
    ['off', /csrf must be false/],
    [{ trustedOrigin: [APP] }, /unknown option "csrf\.trustedOrigin"; did you mean "csrf\.trustedOrigins"\?/],
    [{ allowSamesite: true }, /did you mean "csrf\.allowSameSite"\?/],
    [{ allowSameSite: 'yes' }, /csrf\.allowSameSite must be true or false/],
    [{ trustedOrigins: APP }, /csrf\.trustedOrigins must be an array/],
    [{ trustedOrigins: ['https://app.example.com/'] }, /write it as "https:\/\/app\.example\.com"/],
    [{ trustedOrigins: ['https://app.example.com/login?x=1'] }, /write it as "https:\/\/app\.example\.com"/],
    [{ trustedOrigins: ['https://App.Example.com'] }, /write it as "https:\/\/app\.example\.com"/],
    [{ trustedOrigins: ['https://app.example.com:443'] }, /write it as "https:\/\/app\.example\.com"/],
    [{ trustedOrigins: ['*'] }, /"\*", which is not an origin/],
    [{ trustedOrigins: ['null'] }, /"null", which is not an origin/],
    [{ trustedOrigins: ['app.example.com'] }, /which is not an origin/],
    [{ trustedOrigins: [42] }, /holds 42, not a string/],
  ])('refuses csrf: %j', (csrf, message) => {
    expect(() => cookieGuard(csrf)).toThrow(message);
    try {
      cookieGuard(csrf);
    } catch (error) {
      expectGuardError(error, 'config_invalid', 500);
    }
  });

  it('accepts exact origins, an empty list and allowSameSite', () => {
    expect(() => cookieGuard({ trustedOrigins: [APP, 'http://localhost:3000'], allowSameSite: true })).not.toThrow();
    expect(() => cookieGuard({})).not.toThrow();
    expect(() => cookieGuard(undefined)).not.toThrow();
  });

  it('takes true as the default defence: a cross-site POST with the cookie is refused, a same-origin one is not', () => {
    const guard = cookieGuard(true);
    const request = (site: string): GuardRequest => ({ method: 'POST', url: '/orders', headers: { cookie: 'at=a.b.c', 'sec-fetch-site': site } });
    const refused = guard.authenticate(request('cross-site'));
    expect(refused instanceof Promise ? undefined : refused.type === 'rejected' && refused.error.code).toBe('csrf_check_failed');
    const passed = guard.authenticate(request('same-origin'));
    // Past the CSRF check, the made-up token is refused by the verifier instead.
    expect(passed instanceof Promise ? undefined : passed.type === 'rejected' && passed.error.code).toBe('token_malformed');
  });
});

describe('csrf: false', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('warns once per guard, with its code, when the token comes from a cookie or a custom getter', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    createGuard({ secret: SECRET_32, ...CLAIM_OPTIONS, getToken: fromCookie('at'), csrf: false });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toMatch(/cookie tokens are not protected against CSRF/);
    expect(warn.mock.calls[0]![1]).toEqual({ code: 'JWT_GUARD_CSRF_DISABLED' });
    createGuard({ secret: SECRET_32, ...CLAIM_OPTIONS, getToken: () => undefined, csrf: false });
    expect(warn).toHaveBeenCalledTimes(2);
  });

  it('is silent with a header getter: nothing is at risk', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    createGuard({ secret: SECRET_32, ...CLAIM_OPTIONS, csrf: false });
    createGuard({ secret: SECRET_32, ...CLAIM_OPTIONS, getToken: fromHeader('x-token'), csrf: false });
    expect(warn).not.toHaveBeenCalled();
  });

  it('lets a cross-site POST with a cookie token through', async () => {
    vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const token = await sign(SECRET_32, 'HS256', validClaims());
    const g = createGuard({ secret: SECRET_32, ...CLAIM_OPTIONS, getToken: fromCookie('at'), csrf: false });
    const outcome = await g.authenticate(post({ cookie: `at=${token}`, 'sec-fetch-site': 'cross-site' }));
    expect(outcome).toMatchObject({ type: 'authenticated' });
    expect(outcome.vary).toBeUndefined();
  });
});

describe('the check inside the guard', () => {
  const token = () => sign(SECRET_32, 'HS256', validClaims());
  const guardWith = (getToken: TokenGetter, extra: Partial<GuardOptions> = {}) => createGuard({ secret: SECRET_32, ...CLAIM_OPTIONS, getToken, ...extra });
  const refusedError = (outcome: GuardOutcome) => {
    expect(outcome.type).toBe('rejected');
    return (outcome as { error: Parameters<typeof errorResponse>[0] }).error;
  };

  it('refuses a cross-site POST with a cookie token: 403, no challenge, Vary, a hint, before verification', async () => {
    const rejected: string[] = [];
    const g = guardWith(fromCookie('at'), { onRejected: (event) => rejected.push(`${event.code}: ${event.hint}`) });
    // A forged token: the CSRF refusal comes first, not a 401.
    const outcome = await g.authenticate(post({ cookie: 'at=forged.token.here', 'sec-fetch-site': 'cross-site' }));
    const error = expectGuardError(refusedError(outcome), 'csrf_check_failed', 403);
    expect(error.message).toBe('The request was refused as a possible cross-site request forgery.');
    expect(error.wwwAuthenticate).toBeUndefined();
    expect(outcome.vary).toBe('Origin, Sec-Fetch-Site');
    const response = errorResponse(error, 'Accept-Encoding');
    expect(response.status).toBe(403);
    expect(response.headers['www-authenticate']).toBeUndefined();
    expect(response.headers.vary).toBe('Accept-Encoding, Origin, Sec-Fetch-Site');
    expect(JSON.parse(response.body)).toEqual({ error: 'csrf_check_failed', error_description: error.message });
    expect(rejected).toEqual(['csrf_check_failed: Sec-Fetch-Site was "cross-site" on a POST with the token in a cookie: a page of another site sent it; a client of another site should send the token in the Authorization header.']);
  });

  it('refuses even with credentialsRequired: false and anonymousOnInvalidToken', async () => {
    const g = guardWith(fromCookie('at'), { credentialsRequired: false, anonymousOnInvalidToken: true });
    expectGuardError(refusedError(await g.authenticate(post({ cookie: `at=${await token()}` }))), 'csrf_check_failed', 403);
  });

  it('a same-origin POST passes and its outcome carries Vary; a GET is not checked and carries none', async () => {
    const g = guardWith(fromCookie('at'));
    const cookie = `at=${await token()}`;
    const passed = await g.authenticate(post({ cookie, 'sec-fetch-site': 'same-origin' }));
    expect(passed).toMatchObject({ type: 'authenticated', vary: 'Origin, Sec-Fetch-Site' });
    const read = await g.authenticate(post({ cookie, 'sec-fetch-site': 'cross-site' }, 'GET'));
    expect(read.type).toBe('authenticated');
    expect(read.vary).toBeUndefined();
  });

  it('a refusal after the check passed (an expired cookie token) carries Vary too', async () => {
    const expired = await sign(SECRET_32, 'HS256', validClaims({ exp: Math.floor(Date.now() / 1000) - 60 }));
    const outcome = await guardWith(fromCookie('at')).authenticate(post({ cookie: `at=${expired}`, 'sec-fetch-site': 'same-origin' }));
    const error = expectGuardError(refusedError(outcome), 'token_expired', 401);
    expect(errorResponse(error).headers.vary).toBe('Origin, Sec-Fetch-Site');
  });

  it('a POST without a token is not checked: 401 token_missing', async () => {
    const outcome = await guardWith(fromCookie('at')).authenticate(post({ 'sec-fetch-site': 'cross-site' }));
    expectGuardError(refusedError(outcome), 'token_missing', 401);
    expect(outcome.vary).toBeUndefined();
  });

  it('header getters are never checked', async () => {
    const t = await token();
    const bearer = await createGuard({ secret: SECRET_32, ...CLAIM_OPTIONS }).authenticate(post({ authorization: `Bearer ${t}`, 'sec-fetch-site': 'cross-site' }));
    expect(bearer).toEqual({ type: 'authenticated', auth: expect.anything() });
    const header = await guardWith(fromHeader('x-token')).authenticate(post({ 'x-token': t, 'sec-fetch-site': 'cross-site' }));
    expect(header.type).toBe('authenticated');
  });

  it('a custom getter is checked when its token is a cookie value, not otherwise', async () => {
    const t = await token();
    const custom: TokenGetter = (request) => {
      const header = request.headers['x-token'];
      if (typeof header === 'string') return header;
      return /(?:^|;\s*)sid=([^;]+)/.exec(String(request.headers.cookie))?.[1];
    };
    const g = guardWith(custom);
    expectGuardError(refusedError(await g.authenticate(post({ cookie: `sid=${t}`, 'sec-fetch-site': 'cross-site' }))), 'csrf_check_failed', 403);
    expect((await g.authenticate(post({ cookie: 'sid=other', 'x-token': t, 'sec-fetch-site': 'cross-site' }))).type).toBe('authenticated');
  });
});

describe('the csrf hint', () => {
  it.each<[Parameters<typeof explainRefusal>[1], RegExp]>([
    [{ csrf: { method: 'POST', header: 'Sec-Fetch-Site', value: 'same-site', trustedOrigins: [] } }, /^Sec-Fetch-Site was "same-site" on a POST .*allowSameSite: true/],
    [{ csrf: { method: 'DELETE', header: 'Sec-Fetch-Site', value: 'none', trustedOrigins: [] } }, /^Sec-Fetch-Site was "none" on a DELETE .*only GET, HEAD and OPTIONS/],
    [{ csrf: { method: 'POST', header: 'Origin', value: 'https://x', trustedOrigins: [APP] } }, /^no Sec-Fetch-Site was sent, and Origin "https:\/\/x" on a POST .* is not among csrf\.trustedOrigins \("https:\/\/app\.example\.com"\)/],
    [{ csrf: { method: 'POST', header: 'Origin', value: 'null', ignoredSecFetchSite: 'odd', trustedOrigins: [] } }, /^Sec-Fetch-Site "odd" is unknown and was ignored, and Origin "null" .*\(none configured\)/],
    [{ csrf: { method: 'PUT', header: undefined, trustedOrigins: [] } }, /^neither Sec-Fetch-Site nor Origin was sent on a PUT .*: a non-browser client should send the token in the Authorization header, not a cookie\.$/],
  ])('%j', (facts, line) => {
    expect(explainRefusal('csrf_check_failed', facts)).toMatch(line);
  });
});

describe('appendVary', () => {
  it.each<[string | string[] | undefined, string]>([
    [undefined, 'Origin, Sec-Fetch-Site'],
    ['Accept-Encoding', 'Accept-Encoding, Origin, Sec-Fetch-Site'],
    ['origin', 'origin, Sec-Fetch-Site'],
    [['Accept', 'Origin, Sec-Fetch-Site'], 'Accept, Origin, Sec-Fetch-Site'],
    ['*', '*'],
  ])('%j', (existing, expected) => {
    expect(appendVary(existing, 'Origin, Sec-Fetch-Site')).toBe(expected);
  });
});

describe('csrfPolicyOf', () => {
  it('needs no policy for header getters', () => {
    expect(csrfPolicyOf(undefined, { kind: 'authorization' })).toBeUndefined();
    expect(csrfPolicyOf({ trustedOrigins: [APP] }, { kind: 'header', name: 'x-token' })).toBeUndefined();
    expect(csrfPolicyOf(undefined, { kind: 'cookie', name: 'at' })).toEqual({ trustedOrigins: [], allowSameSite: false });
  });
});
