import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { isJwtGuardError } from '@jwt-guard/core';
import { memorySessionStore, readBodyStream, sessionEndpoints, type EndpointRequest, type SessionEvent, type SessionsOptions } from '@jwt-guard/session';
import { cookiePair, sessionsOnClock } from './support.js';

const DEMO = { subject: 'demo', scopes: ['orders:read'] };

function setup(options: Partial<SessionsOptions> = {}, authenticate: (body: unknown) => unknown = (body) => ((body as { ok?: boolean }).ok === true ? DEMO : undefined)) {
  const { sessions, advance } = sessionsOnClock(options);
  const events: SessionEvent[] = [];
  const endpoints = sessionEndpoints(sessions, {
    authenticate: authenticate as never,
    onEvent: (event) => {
      events.push(event);
      throw new Error('a broken logger'); // must never fail a request
    },
  });
  return { sessions, endpoints, events, advance };
}

function post(headers: Record<string, string>, body?: unknown, readBody?: EndpointRequest['readBody']): EndpointRequest {
  return { method: 'POST', url: '/auth/x', headers: { 'sec-fetch-site': 'same-origin', ...headers }, body, readBody };
}

const json = { 'content-type': 'application/json' };

describe('sessionEndpoints', () => {
  it('logs in from a body the framework parsed, and from the raw body read here', async () => {
    const { endpoints, events } = setup();
    const parsed = await endpoints.login(post(json, { ok: true }));
    const raw = await endpoints.login(post({ 'content-type': 'application/json; charset=utf-8' }, undefined, (max) => readBodyStream(Readable.from([Buffer.from('{"ok":true}')]), max)));
    for (const answer of [parsed, raw]) {
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ subject: 'demo', scopes: ['orders:read'] });
    }
    expect(events).toEqual([{ type: 'login', subject: 'demo' }, { type: 'login', subject: 'demo' }]);
  });

  it('answers bad JSON 400 and a body over maxBodyBytes 413 (stopping the read there)', async () => {
    const { endpoints } = setup();
    const bad = await endpoints.login(post(json, undefined, (max) => readBodyStream(Readable.from([Buffer.from('{"ok":')]), max)));
    expect([bad.status, JSON.parse(bad.body)]).toEqual([400, { error: 'invalid_request', error_description: 'The request body is not valid JSON.' }]);
    let chunksRead = 0;
    const endless = Readable.from((function* () {
      for (;;) {
        chunksRead++;
        yield Buffer.alloc(1024, 32);
      }
    })());
    const large = await endpoints.login(post(json, undefined, (max) => readBodyStream(endless, max)));
    expect([large.status, JSON.parse(large.body).error]).toEqual([413, 'invalid_request']);
    expect(chunksRead).toBeLessThan(10);
    const declared = await endpoints.login(post({ ...json, 'content-length': '5000' }, undefined, () => Promise.reject(new Error('not read'))));
    expect(declared.status).toBe(413);
  });

  it('refuses a throwing authenticate as bad credentials, with the throw in the event only', async () => {
    const { endpoints, events } = setup({}, () => {
      throw new Error('user db down');
    });
    const answer = await endpoints.login(post(json, { ok: true }));
    expect(answer.status).toBe(401);
    expect(answer.body).not.toContain('user db down');
    expect(events).toEqual([{ type: 'login_failed', hint: 'authenticate threw: user db down' }]);
  });

  it('reports refresh, reuse and logout, never a token', async () => {
    const { endpoints, events, advance } = setup();
    const login = await endpoints.login(post(json, { ok: true }));
    const cookies = [].concat(login.headers['set-cookie'] as never) as string[];
    const cookie = cookies.map(cookiePair).join('; ');
    await endpoints.refresh(post({ cookie }));
    advance(3000);
    await endpoints.refresh(post({ cookie }));
    await endpoints.refresh(post({}));
    await endpoints.logout(post({ cookie }));
    expect(events.map((event) => event.type)).toEqual(['login', 'refreshed', 'reuse_detected', 'refresh_refused', 'logout']);
    expect(events[3]).toMatchObject({ code: 'refresh_token_missing' });
    const logged = JSON.stringify(events);
    for (const value of cookies.map((c) => cookiePair(c).split('=')[1] ?? '')) expect(logged).not.toContain(value);
  });

  it('keeps the cookies when the store fails (503), clears them when the session is dead (401)', async () => {
    const store = memorySessionStore();
    const { endpoints } = setup({ store });
    const login = await endpoints.login(post(json, { ok: true }));
    const cookie = ([].concat(login.headers['set-cookie'] as never) as string[]).map(cookiePair).join('; ');
    store.get = () => Promise.reject(new Error('down'));
    const failed = await endpoints.refresh(post({ cookie }));
    expect([failed.status, JSON.parse(failed.body).error, failed.headers['set-cookie']]).toEqual([503, 'session_store_unavailable', undefined]);
    const invalid = await endpoints.refresh(post({ cookie: '__Secure-refresh_token=nonsense' }));
    expect([invalid.status, (invalid.headers['set-cookie'] as string[]).length]).toEqual([401, 2]);
  });

  it.each([[true], ['demo'], [{}], [{ subject: '' }], [{ subject: 'demo', scopes: 'orders:read' }], [{ subject: 'demo', claims: { sub: 'admin' } }]])(
    'answers 500 server_error, logging nobody in, when authenticate returns %j (not a login input)',
    async (returned) => {
      const { endpoints, events } = setup({}, () => returned);
      const answer = await endpoints.login(post(json, { ok: true }));
      expect([answer.status, JSON.parse(answer.body).error, answer.headers['set-cookie']]).toEqual([500, 'server_error', undefined]);
      expect(events.at(-1)).toMatchObject({ type: 'login_failed', hint: expect.stringMatching(/^authenticate returned what login refuses: /) });
    },
  );

  it('takes null from authenticate as a refusal (401 invalid_credentials), like undefined', async () => {
    const { endpoints } = setup({}, () => null);
    const answer = await endpoints.login(post(json, { ok: true }));
    expect([answer.status, JSON.parse(answer.body).error]).toEqual([401, 'invalid_credentials']);
  });

  it('answers a logout the store cannot carry out with 503, and still clears the cookies', async () => {
    const store = memorySessionStore();
    const { endpoints, events } = setup({ store });
    const login = await endpoints.login(post(json, { ok: true }));
    const cookie = ([].concat(login.headers['set-cookie'] as never) as string[]).map(cookiePair).join('; ');
    store.get = () => Promise.reject(new Error('down'));
    const failed = await endpoints.logout(post({ cookie }));
    expect([failed.status, JSON.parse(failed.body).error]).toEqual([503, 'session_store_unavailable']);
    expect((failed.headers['set-cookie'] as string[]).every((line) => /Max-Age=0/.test(line))).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'logout_failed' });
  });

  it('refuses unknown options with a did-you-mean, and csrf: false turns the check off', async () => {
    const { sessions } = sessionsOnClock();
    const thrown = (() => {
      try {
        sessionEndpoints(sessions, { authenticate: () => undefined, maxBodyByte: 10 } as never);
      } catch (error) {
        return error;
      }
    })();
    expect(isJwtGuardError(thrown) && thrown.message).toMatch(/did you mean "maxBodyBytes"/);
    const open = sessionEndpoints(sessions, { authenticate: () => DEMO, csrf: false });
    const answer = await open.login({ method: 'POST', url: '/auth/login', headers: { ...json, 'sec-fetch-site': 'cross-site' }, body: {} });
    expect(answer.status).toBe(200);
    expect(answer.headers.vary).toBeUndefined();
  });
});
