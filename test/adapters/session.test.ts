import { createServer, type Server } from 'node:http';
import express from 'express';
import Koa from 'koa';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as expressGuard from '@jwt-guard/express';
import * as koaGuard from '@jwt-guard/koa';
import * as fastifyGuard from '@jwt-guard/fastify';
import { createSessions, sessionEndpoints, type Sessions } from '@jwt-guard/session';
// The subpaths by source: vitest's alias maps the package name to its index, not its subpaths.
import { sessionRoutes as expressRoutes } from '../../packages/session/src/express.js';
import { sessionRoutes as koaRoutes } from '../../packages/session/src/koa.js';
import { sessionRoutes as fastifyRoutes } from '../../packages/session/src/fastify.js';

const SECRET = 'bq3V0oJ0m8fZ1kq0b7W3xYd9cR2tLp6sNe4uHg5aA1s';
const START = Date.parse('2026-01-01T00:00:00Z');
const ORIGIN = 'https://app.example.com';
const SESSION_ADAPTERS = ['express', 'koa', 'fastify'] as const;
type SessionAdapter = (typeof SESSION_ADAPTERS)[number];

/** One app per framework: session routes under /auth, the guard on /api (GET /api/me answers `{ sub }`). */
interface SessionApp {
  base: string;
  sessions: Sessions;
  advance(ms: number): void;
  close(): Promise<void>;
}

function sessionsOnClock() {
  const clock = { time: START };
  const sessions = createSessions({ issuer: ORIGIN, audience: 'app-api', secret: SECRET, now: () => clock.time });
  const endpoints = sessionEndpoints(sessions, {
    csrf: { trustedOrigins: [ORIGIN] },
    authenticate: (body) => {
      const { username, password } = (body ?? {}) as { username?: unknown; password?: unknown };
      return username === 'demo' && password === 'demo' ? { subject: 'demo', scopes: ['orders:read', 'orders:write'] } : undefined;
    },
  });
  return { sessions, endpoints, advance: (ms: number) => void (clock.time += ms) };
}

async function startSessionApp(adapter: SessionAdapter): Promise<SessionApp> {
  const { sessions, endpoints, advance } = sessionsOnClock();
  let server: Server;
  switch (adapter) {
    case 'express': {
      const app = express();
      app.use('/auth', expressRoutes(endpoints));
      app.use('/api', expressGuard.jwtGuard(sessions.guardOptions()));
      app.get('/api/me', (req, res) => void res.json({ sub: req.auth?.payload.sub }));
      app.use((error: { status?: number; toJSON?: () => unknown }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
        res.status(error.status ?? 500).json(error.toJSON?.() ?? { error: 'server_error' });
      });
      server = createServer(app);
      break;
    }
    case 'koa': {
      const app = new Koa();
      app.use(koaRoutes(endpoints, { prefix: '/auth' }));
      const guard = koaGuard.jwtGuard(sessions.guardOptions());
      app.use(async (ctx, next) => {
        if (!ctx.path.startsWith('/api/')) return next();
        return guard(ctx, async () => {
          if (ctx.path === '/api/me') ctx.body = { sub: (ctx.state as koaGuard.JwtGuardState).auth?.payload.sub };
        });
      });
      server = createServer(app.callback());
      break;
    }
    case 'fastify': {
      const app = Fastify();
      await app.register(fastifyRoutes, { endpoints, prefix: '/auth' });
      await app.register(async (api) => {
        await api.register(fastifyGuard.jwtGuard, sessions.guardOptions());
        api.get('/me', async (request) => ({ sub: request.auth?.payload.sub }));
      }, { prefix: '/api' });
      await app.ready();
      server = app.server;
      break;
    }
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    base: `http://127.0.0.1:${address.port}`,
    sessions,
    advance,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

interface Answer {
  status: number;
  json: unknown;
  headers: Headers;
  setCookies: string[];
}

const SAME_ORIGIN = { 'sec-fetch-site': 'same-origin' };
const LOGIN_BODY = JSON.stringify({ username: 'demo', password: 'demo' });

async function call(app: SessionApp, method: string, path: string, options: { headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  const response = await fetch(`${app.base}${path}`, { method, headers: options.headers, body: options.body });
  const text = await response.text();
  return { status: response.status, json: text === '' ? undefined : JSON.parse(text), headers: response.headers, setCookies: response.headers.getSetCookie() };
}

const login = (app: SessionApp, headers: Record<string, string> = SAME_ORIGIN, body = LOGIN_BODY) =>
  call(app, 'POST', '/auth/login', { headers: { 'content-type': 'application/json', ...headers }, body });

/** The `cookie` request header a browser sends back for these Set-Cookie values. */
function cookieHeader(setCookies: readonly string[]): string {
  return setCookies.map((cookie) => cookie.split(';')[0]).join('; ');
}

const refresh = (app: SessionApp, setCookies: readonly string[]) =>
  call(app, 'POST', '/auth/refresh', { headers: { ...SAME_ORIGIN, cookie: cookieHeader(setCookies) } });

const me = (app: SessionApp, setCookies: readonly string[]) => call(app, 'GET', '/api/me', { headers: { cookie: cookieHeader(setCookies) } });

/** The cookies' names and attributes without their values (the values differ per login). */
function shapes(setCookies: readonly string[]): string[] {
  return setCookies.map((cookie) => cookie.replace(/=[^;]*/, '=<value>'));
}

const CLEARED = [
  '__Host-access_token=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Strict',
  '__Secure-refresh_token=; Max-Age=0; Path=/auth; Secure; HttpOnly; SameSite=Strict',
];

describe.each(SESSION_ADAPTERS)('session endpoints on %s', (adapter) => {
  let app: SessionApp;
  beforeAll(async () => {
    app = await startSessionApp(adapter);
  });
  afterAll(() => app.close());

  /** What every session endpoint's answer carries. */
  function expectEndpointHeaders(answer: Answer): void {
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.headers.get('vary')).toBe('Origin, Sec-Fetch-Site');
    expect(answer.headers.get('www-authenticate')).toBeNull();
    if (answer.status !== 204) expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
  }

  it('login: 200 with the session, an access and a refresh cookie; the guard accepts the access cookie', async () => {
    const answer = await login(app);
    expect(answer.status).toBe(200);
    expectEndpointHeaders(answer);
    expect(answer.json).toEqual({
      subject: 'demo',
      scopes: ['orders:read', 'orders:write'],
      expiresAt: new Date(START + 300_000).toISOString(),
      refreshExpiresAt: new Date(START + 7 * 86_400_000).toISOString(),
    });
    expect(shapes(answer.setCookies)).toEqual([
      `__Host-access_token=<value>; Max-Age=${7 * 86_400}; Path=/; Secure; HttpOnly; SameSite=Strict`,
      `__Secure-refresh_token=<value>; Max-Age=${7 * 86_400}; Path=/auth; Secure; HttpOnly; SameSite=Strict`,
    ]);
    expect(await me(app, answer.setCookies)).toMatchObject({ status: 200, json: { sub: 'demo' } });
  });

  it('login: bad credentials are 401 invalid_credentials, with no cookie and no challenge', async () => {
    const answer = await login(app, SAME_ORIGIN, JSON.stringify({ username: 'demo', password: 'wrong' }));
    expect(answer.status).toBe(401);
    expectEndpointHeaders(answer);
    expect(answer.json).toMatchObject({ error: 'invalid_credentials' });
    expect(answer.setCookies).toEqual([]);
  });

  it('login: a non-JSON body is 400 invalid_request', async () => {
    const answer = await login(app, { ...SAME_ORIGIN, 'content-type': 'text/plain' }, 'username=demo&password=demo');
    expect(answer.status).toBe(400);
    expectEndpointHeaders(answer);
    expect(answer.json).toMatchObject({ error: 'invalid_request' });
    expect(answer.setCookies).toEqual([]);
  });

  it('login: a body over maxBodyBytes is 413 invalid_request', async () => {
    const answer = await login(app, SAME_ORIGIN, JSON.stringify({ username: 'demo', password: 'x'.repeat(5000) }));
    expect(answer.status).toBe(413);
    expect(answer.json).toMatchObject({ error: 'invalid_request' });
  });

  it.each([
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
    ['an untrusted Origin', { origin: 'https://app.example.com.evil.test' }],
    ['neither header', {}],
  ])('login from %s is 403 csrf_check_failed, before the credentials are looked at', async (_label, headers) => {
    const answer = await login(app, headers);
    expect(answer.status).toBe(403);
    expectEndpointHeaders(answer);
    expect(answer.json).toEqual({ error: 'csrf_check_failed', error_description: 'The request was refused as a possible cross-site request forgery.' });
    expect(answer.setCookies).toEqual([]);
  });

  it('login from the trusted Origin (no Fetch Metadata) passes', async () => {
    expect((await login(app, { origin: ORIGIN })).status).toBe(200);
  });

  it('refresh: rotates both cookies; the new refresh cookie differs', async () => {
    const first = await login(app);
    const answer = await refresh(app, first.setCookies);
    expect(answer.status).toBe(200);
    expectEndpointHeaders(answer);
    expect(answer.json).toMatchObject({ subject: 'demo', scopes: ['orders:read', 'orders:write'] });
    expect(shapes(answer.setCookies)).toEqual(shapes(first.setCookies));
    expect(answer.setCookies[1]).not.toBe(first.setCookies[1]);
    expect(await me(app, answer.setCookies)).toMatchObject({ status: 200, json: { sub: 'demo' } });
  });

  it('refresh without the cookie is 401 refresh_token_missing, clearing both cookies', async () => {
    const answer = await call(app, 'POST', '/auth/refresh', { headers: SAME_ORIGIN });
    expect(answer.status).toBe(401);
    expectEndpointHeaders(answer);
    expect(answer.json).toMatchObject({ error: 'refresh_token_missing' });
    expect(answer.setCookies).toEqual(CLEARED);
  });

  it('refresh cross-site is 403 csrf_check_failed and rotates nothing', async () => {
    const first = await login(app);
    const answer = await call(app, 'POST', '/auth/refresh', { headers: { 'sec-fetch-site': 'cross-site', cookie: cookieHeader(first.setCookies) } });
    expect(answer.status).toBe(403);
    expect(answer.json).toMatchObject({ error: 'csrf_check_failed' });
    expect((await refresh(app, first.setCookies)).status).toBe(200);
  });

  it('a rotated refresh token within the reuse interval still works (racing tabs)', async () => {
    const first = await login(app);
    expect((await refresh(app, first.setCookies)).status).toBe(200);
    app.advance(1000);
    expect((await refresh(app, first.setCookies)).status).toBe(200);
  });

  it('a rotated refresh token after the reuse interval: 401 refresh_token_reused, cookies cleared, the live access token revoked', async () => {
    const first = await login(app);
    const second = await refresh(app, first.setCookies);
    app.advance(3000);
    const replay = await refresh(app, first.setCookies);
    expect(replay.status).toBe(401);
    expectEndpointHeaders(replay);
    expect(replay.json).toMatchObject({ error: 'refresh_token_reused' });
    expect(replay.setCookies).toEqual(CLEARED);
    expect(await me(app, second.setCookies)).toMatchObject({ status: 401, json: { error: 'token_revoked' } });
    expect((await refresh(app, second.setCookies)).json).toMatchObject({ error: 'session_expired' });
  });

  it('logout: 204, both cookies cleared, the old access token refused; a repeat is still 204', async () => {
    app.advance(2000); // past the previous case's revocation of demo's tokens (it covers whole seconds)
    const first = await login(app);
    expect(await me(app, first.setCookies)).toMatchObject({ status: 200 });
    const cookie = cookieHeader(first.setCookies);
    const answer = await call(app, 'POST', '/auth/logout', { headers: { ...SAME_ORIGIN, cookie } });
    expect(answer.status).toBe(204);
    expectEndpointHeaders(answer);
    expect(answer.json).toBeUndefined();
    expect(answer.setCookies).toEqual(CLEARED);
    expect(await me(app, first.setCookies)).toMatchObject({ status: 401, json: { error: 'token_revoked' } });
    expect((await call(app, 'POST', '/auth/logout', { headers: { ...SAME_ORIGIN, cookie } })).status).toBe(204);
    expect((await call(app, 'POST', '/auth/logout', { headers: SAME_ORIGIN })).setCookies).toEqual(CLEARED);
  });

  it.each(['login', 'refresh', 'logout'])('GET /auth/%s is 405 with Allow: POST', async (name) => {
    const answer = await call(app, 'GET', `/auth/${name}`, { headers: SAME_ORIGIN });
    expect(answer.status).toBe(405);
    expect(answer.headers.get('allow')).toBe('POST');
    expectEndpointHeaders(answer);
    expect(answer.json).toMatchObject({ error: 'method_not_allowed' });
  });

  it('an expired access token is 401 token_expired at the guard (what the page refreshes on), and refresh works', async () => {
    const first = await login(app);
    app.advance(301_000);
    expect(await me(app, first.setCookies)).toMatchObject({ status: 401, json: { error: 'token_expired' } });
    expect((await refresh(app, first.setCookies)).status).toBe(200);
  });
});

describe('session routes after a JSON body parser (Express)', () => {
  it('logs in from req.body that express.json() parsed', async () => {
    const { endpoints } = sessionsOnClock();
    const app = express();
    app.use(express.json());
    app.use('/auth', expressRoutes(endpoints));
    const server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as { port: number };
      const ok = await fetch(`http://127.0.0.1:${port}/auth/login`, { method: 'POST', headers: { ...SAME_ORIGIN, 'content-type': 'application/json' }, body: LOGIN_BODY });
      expect([ok.status, ((await ok.json()) as { subject: string }).subject]).toEqual([200, 'demo']);
      const refused = await fetch(`http://127.0.0.1:${port}/auth/login`, { method: 'POST', headers: { ...SAME_ORIGIN, 'content-type': 'application/json' }, body: '{"username":"demo"}' });
      expect(refused.status).toBe(401);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
