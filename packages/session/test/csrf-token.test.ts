import { describe, expect, it } from 'vitest';
import { createCsrfToken, type GuardOutcome } from '@jwt-guard/core';
import { sessionEndpoints, type EndpointRequest } from '@jwt-guard/session';
import { configMessage, cookiePair, outcomeCode, sessionsOnClock } from './support.js';

const CSRF_SECRET = 'Xw5nB8qL2rT7vK0cM4hJ9gF1dS6aZ3pE';
const DEMO = { subject: 'demo', scopes: ['orders:write'] };

function post(headers: Record<string, string>, body?: unknown): EndpointRequest {
  return { method: 'POST', url: '/auth/x', headers: { 'sec-fetch-site': 'same-origin', 'content-type': 'application/json', ...headers }, body };
}

describe('createSessions({ csrfToken })', () => {
  it('returns the session-bound token from login and refresh, the same for the whole session, and the guard requires it', async () => {
    const { sessions, guard } = sessionsOnClock({ csrfToken: CSRF_SECRET });
    const first = await sessions.login(DEMO);
    const refreshed = await sessions.refresh(first.refreshToken);
    const other = await sessions.login(DEMO);
    const sid = JSON.parse(Buffer.from(first.accessToken.split('.')[1]!, 'base64url').toString()).sid as string;
    expect(first.csrfToken).toBe(createCsrfToken(CSRF_SECRET, sid));
    expect(refreshed.csrfToken).toBe(first.csrfToken);
    expect(other.csrfToken).not.toBe(first.csrfToken);

    const write = (setCookies: string[], token: string | undefined): Promise<GuardOutcome> | GuardOutcome =>
      guard.authenticate({
        method: 'POST',
        url: '/api/orders',
        headers: { cookie: cookiePair(setCookies[0]!), 'sec-fetch-site': 'same-origin', ...(token === undefined ? {} : { 'x-csrf-token': token }) },
      });
    expect(outcomeCode(await write(refreshed.setCookies, first.csrfToken))).toBe('authenticated');
    expect(outcomeCode(await write(refreshed.setCookies, undefined))).toBe('csrf_check_failed');
    expect(outcomeCode(await write(refreshed.setCookies, other.csrfToken))).toBe('csrf_check_failed');
    // Reads need no token.
    expect(outcomeCode(await guard.authenticate({ method: 'GET', url: '/api/orders', headers: { cookie: cookiePair(first.setCookies[0]!) } }))).toBe('authenticated');
  });

  it('true makes a random secret for this process; without it nothing changes', async () => {
    const random = sessionsOnClock({ csrfToken: true });
    const issued = await random.sessions.login(DEMO);
    expect(issued.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(random.sessions.guardOptions().csrf).toMatchObject({ token: { secret: expect.any(Uint8Array) } });
    const plain = sessionsOnClock();
    expect((await plain.sessions.login(DEMO)).csrfToken).toBeUndefined();
    expect(plain.sessions.guardOptions().csrf).toBeUndefined();
  });

  it('refuses a weak secret and a value that is not one, at creation', () => {
    expect(configMessage(() => sessionsOnClock({ csrfToken: 'short' }))).toMatch(/the secret is 5 bytes; HS256 needs at least 32/);
    expect(configMessage(() => sessionsOnClock({ csrfToken: 42 as never }))).toMatch(/csrfToken must be true/);
    expect(configMessage(() => sessionsOnClock({ csrfTokn: true } as never))).toMatch(/did you mean "csrfToken"/);
  });

  it('csrfTokenField lets the guard take the token from that form field too', async () => {
    const { sessions, guard } = sessionsOnClock({ csrfToken: CSRF_SECRET, csrfTokenField: '_csrf' });
    const issued = await sessions.login(DEMO);
    const form = (body: unknown) =>
      guard.authenticate({ method: 'POST', url: '/api/orders', headers: { cookie: cookiePair(issued.setCookies[0]!), 'sec-fetch-site': 'same-origin' }, body });
    expect(outcomeCode(await form({ _csrf: issued.csrfToken, item: 'tea' }))).toBe('authenticated');
    expect(outcomeCode(await form({ item: 'tea' }))).toBe('csrf_check_failed');
    expect(sessions.guardOptions().csrf).toMatchObject({ token: { fieldName: '_csrf' } });
  });

  it('refuses csrfTokenField without csrfToken, and a name the guard would refuse', () => {
    expect(configMessage(() => sessionsOnClock({ csrfTokenField: '_csrf' }))).toMatch(/csrfTokenField needs csrfToken/);
    expect(configMessage(() => sessionsOnClock({ csrfToken: CSRF_SECRET, csrfTokenField: 'a[b]' }))).toMatch(/csrfTokenField must be a form field name/);
  });
});

describe('the endpoints with csrfToken', () => {
  it('put csrfToken in the login and refresh JSON, and keep only the Fetch Metadata check themselves', async () => {
    const { sessions } = sessionsOnClock({ csrfToken: CSRF_SECRET });
    const endpoints = sessionEndpoints(sessions, { authenticate: () => DEMO });
    const login = await endpoints.login(post({}, {}));
    expect(login.status).toBe(200);
    const { csrfToken } = JSON.parse(login.body) as { csrfToken: string };
    expect(csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The refresh needs no x-csrf-token: its cookie is the credential.
    const refreshCookie = cookiePair((login.headers['set-cookie'] as string[])[1]!);
    const refresh = await endpoints.refresh(post({ cookie: refreshCookie }));
    expect(refresh.status).toBe(200);
    expect(JSON.parse(refresh.body)).toMatchObject({ csrfToken });
    const crossSite = await endpoints.refresh(post({ cookie: refreshCookie, 'sec-fetch-site': 'cross-site' }));
    expect(crossSite.status).toBe(403);
  });

  it('refuse csrf.token in their own options, saying where it belongs', () => {
    const { sessions } = sessionsOnClock();
    expect(configMessage(() => sessionEndpoints(sessions, { authenticate: () => DEMO, csrf: { token: { secret: CSRF_SECRET } } }))).toMatch(/set csrfToken in createSessions/);
  });
});
