// The example without a browser: the same calls the page makes, with the cookies carried by hand
// (a cookie jar would not send `Secure` cookies over plain http) and the `Sec-Fetch-Site` header a
// browser adds to its same-origin requests, which the guard's CSRF check wants on unsafe methods.
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createBrowserSessionApp } from '../src/server.js';

const ENV = { SESSION_SECRET: 'pG-FFRM237Pp_AstAg3-1PiTdNAZlk8NyVWQXNAHrTk', REFRESH_REUSE_INTERVAL: '1s' };
const SAME_ORIGIN = { 'sec-fetch-site': 'same-origin' };

/** A browser's cookie jar, in small: Set-Cookie headers in, a Cookie header out. */
class Jar {
  readonly values = new Map<string, string>();
  take(setCookie: string | string[] | undefined): void {
    for (const line of typeof setCookie === 'string' ? [setCookie] : setCookie ?? []) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      if (/;\s*max-age=0(;|$)/i.test(line)) this.values.delete(name);
      else this.values.set(name, pair.slice(eq + 1));
    }
  }
  header(): string {
    return [...this.values].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

function app() {
  return createBrowserSessionApp(ENV, { warn: () => undefined });
}

describe('examples/browser-session (no browser)', () => {
  it('login → orders → add → refresh → logout, with the tokens only in HttpOnly cookies', async () => {
    const { app: server } = app();
    const jar = new Jar();
    const login = await request(server).post('/auth/login').set(SAME_ORIGIN).send({ username: 'demo', password: 'demo' }).expect(200);
    jar.take(login.headers['set-cookie']);
    expect([...jar.values.keys()].sort()).toEqual(['__Host-access_token', '__Secure-refresh_token']);
    for (const line of login.headers['set-cookie'] as unknown as string[]) expect(line).toMatch(/; HttpOnly/i);
    expect(login.body).toMatchObject({ subject: 'demo', scopes: ['orders:read', 'orders:write'] });
    expect(JSON.stringify(login.body)).not.toContain(jar.values.get('__Host-access_token'));

    await request(server).get('/api/orders').set('cookie', jar.header()).expect(200, []);
    const added = await request(server).post('/api/orders').set(SAME_ORIGIN).set('cookie', jar.header()).send({ item: 'tea' }).expect(201);
    expect(added.body).toEqual({ id: 1, item: 'tea', owner: 'demo' });

    const before = jar.values.get('__Secure-refresh_token');
    const refreshed = await request(server).post('/auth/refresh').set(SAME_ORIGIN).set('cookie', jar.header()).expect(200);
    jar.take(refreshed.headers['set-cookie']);
    expect(jar.values.get('__Secure-refresh_token')).not.toBe(before);
    await request(server).get('/api/orders').set('cookie', jar.header()).expect(200, [{ id: 1, item: 'tea', owner: 'demo' }]);

    const oldAccess = jar.header();
    const logout = await request(server).post('/auth/logout').set(SAME_ORIGIN).set('cookie', jar.header()).expect(204);
    jar.take(logout.headers['set-cookie']);
    expect(jar.values.size).toBe(0);
    const replay = await request(server).get('/api/orders').set('cookie', oldAccess).expect(401);
    expect(replay.body).toMatchObject({ error: 'token_revoked' });
  });

  it('refuses wrong credentials, and an order without a usable item (400), creating nothing', async () => {
    const { app: server, orders } = app();
    const refused = await request(server).post('/auth/login').set(SAME_ORIGIN).send({ username: 'demo', password: 'nope' }).expect(401);
    expect(refused.body).toMatchObject({ error: 'invalid_credentials' });
    expect(refused.headers['set-cookie']).toBeUndefined();

    const jar = new Jar();
    jar.take((await request(server).post('/auth/login').set(SAME_ORIGIN).send({ username: 'demo', password: 'demo' }).expect(200)).headers['set-cookie']);
    for (const body of [{}, { item: '' }, { item: '   ' }, { item: 42 }, { item: 'x'.repeat(201) }]) {
      const response = await request(server).post('/api/orders').set(SAME_ORIGIN).set('cookie', jar.header()).send(body).expect(400);
      expect(response.body).toMatchObject({ error: 'invalid_request' });
    }
    await request(server).post('/api/orders').set(SAME_ORIGIN).set('cookie', jar.header()).send({ item: 'x'.repeat(200) }).expect(201);
    expect(orders).toHaveLength(1);
  });

  it('refuses a cross-site POST with a valid cookie (CSRF, 403) and creates nothing; a cross-site login too', async () => {
    const { app: server, orders } = app();
    const forgedLogin = await request(server).post('/auth/login').set('sec-fetch-site', 'cross-site').send({ username: 'demo', password: 'demo' }).expect(403);
    expect(forgedLogin.body).toMatchObject({ error: 'csrf_check_failed' });
    expect(forgedLogin.headers['set-cookie']).toBeUndefined();
    const jar = new Jar();
    jar.take((await request(server).post('/auth/login').set(SAME_ORIGIN).send({ username: 'demo', password: 'demo' }).expect(200)).headers['set-cookie']);
    const forged = await request(server).post('/api/orders').set('sec-fetch-site', 'cross-site').set('cookie', jar.header()).send({ item: 'forged' }).expect(403);
    expect(forged.body).toMatchObject({ error: 'csrf_check_failed' });
    expect(orders).toEqual([]);
  });

  it('serves the page with a script-only-from-self policy', async () => {
    const page = await request(app().app).get('/').expect(200).expect('content-type', /html/);
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect(page.text).toContain('<script src="app.js"');
    await request(app().app).get('/app.js').expect(200).expect('content-type', /javascript/);
  });

  it('says once on stderr that a random secret is used when SESSION_SECRET is unset', () => {
    const notices: string[] = [];
    createBrowserSessionApp({}, { warn: (message) => notices.push(message) });
    expect(notices).toEqual([expect.stringContaining('SESSION_SECRET is not set')]);
    createBrowserSessionApp(ENV, { warn: (message) => notices.push(message) });
    expect(notices).toHaveLength(1);
  });
});
