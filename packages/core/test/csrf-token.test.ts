import { createHmac } from 'node:crypto';
import * as crypto from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { createCsrfToken, createGuard, csrfTokenSigner, fromCookie, verifyCsrfToken, type GuardOptions, type GuardOutcome, type GuardRequest, type JWTPayload } from '@jwt-guard/core';
import { CLAIM_OPTIONS, expectGuardError, SECRET_32, SECRET_64, sign, validClaims } from './helpers.js';

// Spied, not replaced: the real comparison still decides; the test sees that it was the one used.
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});

const CSRF_SECRET = 'hV3nQ8rT1yU6iO0pA5sD9fG2hJ7kL4zX';
const post = (headers: Record<string, string | string[]>, method = 'POST'): GuardRequest => ({ method, url: '/orders', headers });

function guardWith(token: unknown, extra: Partial<GuardOptions> = {}) {
  return createGuard({ secret: SECRET_32, ...CLAIM_OPTIONS, getToken: fromCookie('at'), csrf: { token }, ...extra } as GuardOptions);
}

function refusedError(outcome: GuardOutcome) {
  expect(outcome.type).toBe('rejected');
  return outcome.type === 'rejected' ? outcome.error : undefined;
}

describe('createCsrfToken / verifyCsrfToken', () => {
  it('is the base64url HMAC-SHA256 of the context and the binding, the same for every call', () => {
    const expected = createHmac('sha256', CSRF_SECRET).update('jwt-guard csrf v1\0session-a').digest('base64url');
    expect(createCsrfToken(CSRF_SECRET, 'session-a')).toBe(expected);
    expect(createCsrfToken(new TextEncoder().encode(CSRF_SECRET), 'session-a')).toBe(expected);
    expect(createCsrfToken(CSRF_SECRET, 'session-b')).not.toBe(expected);
    expect(createCsrfToken(SECRET_64, 'session-a')).not.toBe(expected);
  });

  it('csrfTokenSigner makes the same tokens, and checks the secret once, when it is made', () => {
    const sign = csrfTokenSigner(CSRF_SECRET);
    expect(sign('session-a')).toBe(createCsrfToken(CSRF_SECRET, 'session-a'));
    expect(sign('session-b')).toBe(createCsrfToken(CSRF_SECRET, 'session-b'));
    expect(() => csrfTokenSigner('short')).toThrow(/the CSRF secret: the secret is 5 bytes/);
    expect(() => sign('')).toThrow(/`binding` must be a non-empty string/);
  });

  it('verifies its own token for the same session only, comparing with timingSafeEqual', () => {
    const spy = vi.mocked(crypto.timingSafeEqual);
    spy.mockClear();
    const token = createCsrfToken(CSRF_SECRET, 'session-a');
    expect(verifyCsrfToken(CSRF_SECRET, 'session-a', token)).toBe(true);
    expect(verifyCsrfToken(CSRF_SECRET, 'session-b', token)).toBe(false);
    expect(verifyCsrfToken(SECRET_64, 'session-a', token)).toBe(false);
    expect(spy).toHaveBeenCalledTimes(3);
  });

  it('answers false, without throwing or comparing, for another length or a non-string', () => {
    const spy = vi.mocked(crypto.timingSafeEqual);
    spy.mockClear();
    const token = createCsrfToken(CSRF_SECRET, 'session-a');
    for (const candidate of [token.slice(1), `${token}A`, '', 'é'.repeat(43), undefined, 42, [token]]) {
      expect(verifyCsrfToken(CSRF_SECRET, 'session-a', candidate), String(candidate)).toBe(false);
    }
    expect(spy).not.toHaveBeenCalled();
    expect(verifyCsrfToken(CSRF_SECRET, '', token)).toBe(false);
  });

  it('refuses weak secrets with the HMAC secret messages, and an empty binding', () => {
    expect(() => createCsrfToken('too-short', 's')).toThrow(/the CSRF secret: the secret is 9 bytes; HS256 needs at least 32/);
    expect(() => createCsrfToken('a'.repeat(40), 's')).toThrow(/fewer than 10 distinct bytes/);
    expect(() => createCsrfToken(`your-256-bit-secret-${SECRET_32}`, 's')).toThrow(/contains "your-256-bit-secret"/);
    expect(() => createCsrfToken(CSRF_SECRET, '')).toThrow(TypeError);
  });
});

describe('csrf.token options, checked at start-up', () => {
  it.each<[unknown, RegExp]>([
    [{}, /csrf\.token\.secret is required/],
    [{ secret: 'short' }, /csrf\.token\.secret: the secret is 5 bytes; HS256 needs at least 32/],
    [{ secret: 'changeme-changeme-changeme-123456789' }, /csrf\.token\.secret: the secret contains "changeme"/],
    [{ secret: 42 }, /csrf\.token\.secret must be a string or a Uint8Array/],
    [{ secret: CSRF_SECRET, headrName: 'x-csrf' }, /unknown option "csrf\.token\.headrName"; did you mean "csrf\.token\.headerName"\?/],
    [{ secret: CSRF_SECRET, bnid: () => 's' }, /did you mean "csrf\.token\.bind"\?/],
    [{ secret: CSRF_SECRET, headerName: 'x csrf' }, /csrf\.token\.headerName must be a header name/],
    [{ secret: CSRF_SECRET, headerName: 'Cookie' }, /cannot be "Cookie"/],
    [{ secret: CSRF_SECRET, bind: 'sid' }, /csrf\.token\.bind must be a function/],
    [{ secret: CSRF_SECRET, fieldName: '' }, /csrf\.token\.fieldName must be a form field name/],
    [{ secret: CSRF_SECRET, fieldName: 'csrf[token]' }, /csrf\.token\.fieldName must be a form field name/],
    [{ secret: CSRF_SECRET, fieldName: 42 }, /csrf\.token\.fieldName must be a form field name/],
    [{ secret: CSRF_SECRET, fieldNmae: '_csrf' }, /did you mean "csrf\.token\.fieldName"\?/],
    ['secret', /csrf\.token must be an object/],
  ])('refuses csrf.token: %j', (token, message) => {
    expect(() => guardWith(token)).toThrow(message);
    try {
      guardWith(token);
    } catch (error) {
      expectGuardError(error, 'config_invalid', 500);
    }
  });
});

describe('the token check inside the guard', () => {
  const cookie = async (claims: JWTPayload = validClaims({ sid: 'session-a' })) => `at=${await sign(SECRET_32, 'HS256', claims)}`;
  const valid = createCsrfToken(CSRF_SECRET, 'session-a');
  const sameOrigin = { 'sec-fetch-site': 'same-origin' };

  it('lets a same-origin POST through with the session token in x-csrf-token', async () => {
    const outcome = await guardWith({ secret: CSRF_SECRET }).authenticate(post({ cookie: await cookie(), ...sameOrigin, 'x-csrf-token': valid }));
    expect(outcome).toMatchObject({ type: 'authenticated', vary: 'Origin, Sec-Fetch-Site' });
  });

  it.each<[string, Record<string, string | string[]>, RegExp]>([
    ['no header', {}, /^no x-csrf-token header was sent/],
    ['a wrong token', { 'x-csrf-token': valid.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) }, /^the x-csrf-token does not match this session/],
    ["another session's token", { 'x-csrf-token': createCsrfToken(CSRF_SECRET, 'session-b') }, /does not match this session/],
    ['two values', { 'x-csrf-token': [valid, valid] }, /^several x-csrf-token values/],
    ['two values joined', { 'x-csrf-token': `${valid}, ${valid}` }, /^several x-csrf-token values/],
    ['the token in a cookie only', { cookie: `x-csrf-token=${valid}` }, /^no x-csrf-token header/],
  ])('refuses %s: 403 csrf_check_failed with a hint', async (_name, headers, hint) => {
    const hints: (string | undefined)[] = [];
    const guard = guardWith({ secret: CSRF_SECRET }, { onRejected: (event) => hints.push(event.hint) });
    const at = await cookie();
    const outcome = await guard.authenticate(post({ ...sameOrigin, ...headers, cookie: headers.cookie === undefined ? at : `${at}; ${String(headers.cookie)}` }));
    const error = expectGuardError(refusedError(outcome), 'csrf_check_failed', 403);
    expect(error.wwwAuthenticate).toBeUndefined();
    expect(outcome.vary).toBe('Origin, Sec-Fetch-Site');
    expect(hints).toHaveLength(1);
    expect(hints[0]).toMatch(hint);
  });

  it('keeps sessions apart across requests of one guard (expected tokens are remembered per session)', async () => {
    const guard = guardWith({ secret: CSRF_SECRET });
    const sessionB = await cookie(validClaims({ sid: 'session-b' }));
    const tokenB = createCsrfToken(CSRF_SECRET, 'session-b');
    for (let round = 0; round < 2; round++) {
      expect((await guard.authenticate(post({ cookie: await cookie(), ...sameOrigin, 'x-csrf-token': valid }))).type).toBe('authenticated');
      expect((await guard.authenticate(post({ cookie: sessionB, ...sameOrigin, 'x-csrf-token': tokenB }))).type).toBe('authenticated');
      expect((await guard.authenticate(post({ cookie: sessionB, ...sameOrigin, 'x-csrf-token': valid }))).type).toBe('rejected');
      expect((await guard.authenticate(post({ cookie: await cookie(), ...sameOrigin, 'x-csrf-token': tokenB }))).type).toBe('rejected');
    }
  });

  it('binds to sub without a sid, and refuses a token with neither', async () => {
    const guard = guardWith({ secret: CSRF_SECRET });
    const bySub = await guard.authenticate(post({ cookie: await cookie(validClaims({ sub: 'user-1' })), ...sameOrigin, 'x-csrf-token': createCsrfToken(CSRF_SECRET, 'user-1') }));
    expect(bySub.type).toBe('authenticated');
    const { sub: _sub, ...anonymousClaims } = validClaims();
    const hints: (string | undefined)[] = [];
    const unbound = createGuard({ secret: SECRET_32, ...CLAIM_OPTIONS, getToken: fromCookie('at'), csrf: { token: { secret: CSRF_SECRET } }, onRejected: (event) => hints.push(event.hint) });
    const outcome = await unbound.authenticate(post({ cookie: await cookie(anonymousClaims), ...sameOrigin, 'x-csrf-token': valid }));
    expectGuardError(refusedError(outcome), 'csrf_check_failed', 403);
    expect(hints[0]).toMatch(/no session to bind the CSRF token to/);
  });

  it.each<[string, (payload: JWTPayload) => unknown]>([
    ['throws', () => { throw new Error('bind bug'); }],
    ['returns a number', () => 42],
    ['returns a promise', async () => 'session-a'],
    ['returns a rejecting promise', () => Promise.reject(new Error('bind bug'))],
    ['returns an empty string', () => ''],
  ])('refuses (403, never a crash or a pass) when csrf.token.bind %s', async (_name, bind) => {
    const hints: (string | undefined)[] = [];
    const guard = guardWith({ secret: CSRF_SECRET, bind }, { onRejected: (event) => hints.push(event.hint) });
    const outcome = await guard.authenticate(post({ cookie: await cookie(), ...sameOrigin, 'x-csrf-token': valid }));
    expectGuardError(refusedError(outcome), 'csrf_check_failed', 403);
    expect(hints[0]).toMatch(/csrf\.token\.bind gave none/);
  });

  it('takes a custom header name and binding', async () => {
    const guard = guardWith({ secret: CSRF_SECRET, headerName: 'X-XSRF-Token', bind: (payload: JWTPayload) => String(payload.tenant) });
    const token = createCsrfToken(CSRF_SECRET, 'tenant-9');
    const passed = await guard.authenticate(post({ cookie: await cookie(validClaims({ tenant: 'tenant-9' })), ...sameOrigin, 'x-xsrf-token': token }));
    expect(passed.type).toBe('authenticated');
    const refused = await guard.authenticate(post({ cookie: await cookie(validClaims({ tenant: 'tenant-9' })), ...sameOrigin, 'x-csrf-token': token }));
    expectGuardError(refusedError(refused), 'csrf_check_failed', 403);
  });

  it('runs the Fetch Metadata check first, and verifies the JWT before the token', async () => {
    const guard = guardWith({ secret: CSRF_SECRET });
    const crossSite = await guard.authenticate(post({ cookie: await cookie(), 'sec-fetch-site': 'cross-site', 'x-csrf-token': valid }));
    expectGuardError(refusedError(crossSite), 'csrf_check_failed', 403);
    const expired = await guard.authenticate(post({ cookie: await cookie(validClaims({ sid: 'session-a', exp: Math.floor(Date.now() / 1000) - 60 })), ...sameOrigin }));
    expectGuardError(refusedError(expired), 'token_expired', 401);
  });

  it('does not check safe methods or Bearer tokens', async () => {
    const guard = guardWith({ secret: CSRF_SECRET });
    expect((await guard.authenticate(post({ cookie: await cookie(), ...sameOrigin }, 'GET'))).type).toBe('authenticated');
    const bearer = createGuard({ secret: SECRET_32, ...CLAIM_OPTIONS, csrf: { token: { secret: CSRF_SECRET } } });
    const jwt = await sign(SECRET_32, 'HS256', validClaims({ sid: 'session-a' }));
    expect((await bearer.authenticate(post({ authorization: `Bearer ${jwt}`, 'sec-fetch-site': 'cross-site' }))).type).toBe('authenticated');
  });
});

describe('the token from a form field (csrf.token.fieldName)', () => {
  const valid = createCsrfToken(CSRF_SECRET, 'session-a');
  const sameOrigin = { 'sec-fetch-site': 'same-origin' };
  const formPost = async (body: unknown, headers: Record<string, string> = {}): Promise<GuardRequest> => ({
    method: 'POST',
    url: '/orders',
    headers: { cookie: `at=${await sign(SECRET_32, 'HS256', validClaims({ sid: 'session-a' }))}`, ...sameOrigin, ...headers },
    body,
  });
  const withField = (onRejected?: GuardOptions['onRejected']) => guardWith({ secret: CSRF_SECRET, fieldName: '_csrf' }, onRejected === undefined ? {} : { onRejected });

  it('passes with the session token in the field, and still with the header', async () => {
    expect((await withField().authenticate(await formPost({ _csrf: valid, item: 'tea' }))).type).toBe('authenticated');
    expect((await withField().authenticate(await formPost(undefined, { 'x-csrf-token': valid }))).type).toBe('authenticated');
  });

  it('reads the header first: a wrong header is refused whatever the field holds', async () => {
    const outcome = await withField().authenticate(await formPost({ _csrf: valid }, { 'x-csrf-token': createCsrfToken(CSRF_SECRET, 'session-b') }));
    expectGuardError(refusedError(outcome), 'csrf_check_failed', 403);
  });

  it.each<[string, unknown, RegExp]>([
    ['no parsed body', undefined, /no parsed body to read it from: parse the body before the guard/],
    ['a body that is text', '_csrf=x', /no parsed body/],
    ['no such field', { item: 'tea' }, /the body has no _csrf field/],
    ['an inherited field only', Object.create({ _csrf: valid }) as object, /the body has no _csrf field/],
    ["another session's token", { _csrf: createCsrfToken(CSRF_SECRET, 'session-b') }, /^the _csrf field does not match this session/],
    ['two values', { _csrf: [valid, valid] }, /^several _csrf field values/],
    ['an object', { _csrf: { token: valid } }, /^the _csrf field is not a text value/],
    ['an empty value', { _csrf: '' }, /^the _csrf field is not a text value/],
  ])('refuses %s: 403 csrf_check_failed with a hint', async (_name, body, hint) => {
    const hints: (string | undefined)[] = [];
    const outcome = await withField((event) => hints.push(event.hint)).authenticate(await formPost(body));
    expectGuardError(refusedError(outcome), 'csrf_check_failed', 403);
    expect(hints).toEqual([expect.stringMatching(hint)]);
  });

  it('never reads the body without fieldName', async () => {
    const hints: (string | undefined)[] = [];
    const outcome = await guardWith({ secret: CSRF_SECRET }, { onRejected: (event) => hints.push(event.hint) }).authenticate(await formPost({ _csrf: valid, 'x-csrf-token': valid }));
    expectGuardError(refusedError(outcome), 'csrf_check_failed', 403);
    expect(hints[0]).toMatch(/header only: csrf\.token\.fieldName is not set/);
  });

  it('says whether the guard reads the body (the Fastify adapter then runs it in preValidation)', () => {
    expect(withField().readsBody).toBe(true);
    expect(guardWith({ secret: CSRF_SECRET }).readsBody).toBe(false);
    expect(createGuard({ secret: SECRET_32, ...CLAIM_OPTIONS }).readsBody).toBe(false);
  });
});
