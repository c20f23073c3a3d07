// The CSRF defence in a real browser: Debian's Chromium loads a page of another site that submits a
// form and a credentialed fetch to a cookie-authenticated API. The guard must refuse both and
// create nothing; the same attack on the same app with `csrf: false` (the control) must succeed,
// which proves the browser did send the cookie, so what stopped it was the guard.
// Heavy (one browser), so it runs once, on Express; the decision itself is in the shared table.
import type { Server } from 'node:http';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCsrfToken } from '@jwt-guard/core';
import { fromCookie, jwtGuard, requireScope, type ExpressGuardOptions } from '@jwt-guard/express';
import { createTestIssuer, type TestIssuer } from '@jwt-guard/testing';
import { launchChromium, type ChromiumSession } from './support/chromium.js';
import { attackerSite, listen, type ForgedFetch, type Site } from './support/sites.js';

const FORGED_FORM: ForgedFetch = { contentType: 'application/x-www-form-urlencoded', body: 'item=forged-by-fetch' };

interface OrdersApi {
  origin: string;
  orders: string[];
  server: Server;
}

/** The CSRF token secret of the API that also takes the token from a form field. */
const FORM_CSRF_SECRET = 'Rb6vN1xQ8mZ3kT5wY0cL7hJ2gF9dS4aP';

const PAGE = `<!doctype html><title>orders</title><p id="cookies"></p><script>
document.getElementById('cookies').textContent = JSON.stringify(document.cookie);
window.order = async (item) => (await fetch('/api/orders', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ item }) })).status;
</script>`;

/** The orders API of the browser-session example, in small: the cookie is set by GET /login. */
async function ordersApi(issuer: TestIssuer, csrf: ExpressGuardOptions['csrf']): Promise<OrdersApi> {
  const orders: string[] = [];
  const app = express();
  app.get('/', (_req, res) => res.type('html').send(PAGE));
  // A server-rendered form of the app itself, with or without the session's CSRF token in a hidden input.
  app.get('/order-form', (req, res) => {
    const hidden = req.query.token === 'yes' ? `<input type="hidden" name="_csrf" value="${createCsrfToken(FORM_CSRF_SECRET, 'user-1')}">` : '';
    res.type('html').send(`<!doctype html><form id="f" method="POST" action="/api/orders">${hidden}<input name="item" value="ordered-by-form"></form><script>document.getElementById('f').submit()</script>`);
  });
  app.get('/login', async (_req, res) => {
    const token = await issuer.tokenWithScopes('orders:read', 'orders:write');
    // SameSite=None so that the browser does send it cross-site: the attack reaches the guard.
    res.cookie('access_token', token, { httpOnly: true, secure: true, sameSite: 'none', path: '/' });
    res.type('html').send('<p id="done">logged in</p>');
  });
  // Before the guard, so that csrf.token.fieldName can read the form field.
  app.use('/api', express.urlencoded({ extended: false }));
  app.use('/api', jwtGuard({ ...issuer.verifierOptions(), getToken: fromCookie('access_token'), ...(csrf === undefined ? {} : { csrf }) }));
  app.use('/api', express.json(), express.text());
  app.get('/api/orders', requireScope('orders:read'), (_req, res) => res.json(orders));
  app.post('/api/orders', requireScope('orders:write'), (req, res) => {
    const body = req.body as unknown;
    const item = typeof body === 'object' && body !== null && 'item' in body ? String(body.item) : String(body);
    orders.push(item);
    res.status(201).json({ item });
  });
  const { server, port } = await listen(app);
  return { origin: `http://127.0.0.1:${port}`, orders, server };
}

describe('CSRF defence in Chromium (cookie token, Express)', () => {
  let issuer: TestIssuer;
  let guarded: OrdersApi;
  let control: OrdersApi;
  let withFormToken: OrdersApi;
  /** Per target app: a page of another site, and one of a sibling origin of the same site. */
  const attacker = new Map<OrdersApi, Site>();
  const sibling = new Map<OrdersApi, Site>();
  let browser: ChromiumSession;

  beforeAll(async () => {
    issuer = await createTestIssuer({ algorithm: 'ES256' });
    guarded = await ordersApi(issuer, undefined);
    control = await ordersApi(issuer, false);
    withFormToken = await ordersApi(issuer, { token: { secret: FORM_CSRF_SECRET, fieldName: '_csrf' } });
    for (const api of [guarded, control]) {
      attacker.set(api, await attackerSite('localhost', api.origin, FORGED_FORM));
      sibling.set(api, await attackerSite('127.0.0.1', api.origin, FORGED_FORM));
    }
    browser = await launchChromium();
    for (const api of [guarded, control, withFormToken]) {
      const page = await browser.context.newPage();
      await page.goto(`${api.origin}/login`);
      await page.close();
    }
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    for (const site of [guarded, control, withFormToken, ...attacker.values(), ...sibling.values()]) site?.server.close();
    await issuer?.close();
  });

  it('the page cannot read the token, and its own POST goes through (same-origin)', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${guarded.origin}/`);
    expect(await page.textContent('#cookies')).toBe('""');
    expect(await page.evaluate(() => (globalThis as unknown as { order: (item: string) => Promise<number> }).order('own-order'))).toBe(201);
    expect(guarded.orders).toEqual(['own-order']);
    await page.close();
  });

  it('a form another site submits is refused (403 csrf_check_failed) and creates nothing; without the defence it creates an order', async () => {
    const before = [...guarded.orders];
    for (const api of [guarded, control]) {
      const page = await browser.context.newPage();
      const answer = page.waitForResponse((response) => response.url() === `${api.origin}/api/orders`);
      await page.goto(`${attacker.get(api)!.origin}/form`);
      const response = await answer;
      if (api === guarded) {
        expect(response.status()).toBe(403);
        expect(await response.json()).toMatchObject({ error: 'csrf_check_failed' });
        expect(response.headers()['www-authenticate']).toBeUndefined();
      } else {
        expect(response.status()).toBe(201);
      }
      await page.close();
    }
    expect(guarded.orders).toEqual(before);
    expect(control.orders).toContain('forged-by-form');
  });

  it("another site's credentialed fetch is refused and creates nothing", async () => {
    // Chromium does not attach a third-party cookie to this fetch at all (so there is no control to
    // compare with): the request arrives without a token, and is refused either way.
    const before = [...guarded.orders];
    const page = await browser.context.newPage();
    await page.goto(`${attacker.get(guarded)!.origin}/fetch`);
    const answer = page.waitForResponse((response) => response.url() === `${guarded.origin}/api/orders`);
    expect(await page.evaluate(() => (globalThis as unknown as { attack: () => Promise<string> }).attack())).toBe('sent');
    expect([401, 403]).toContain((await answer).status());
    await page.close();
    expect(guarded.orders).toEqual(before);
  });

  it('a sibling origin of the same site (another port) is refused by its fetch; without the defence it creates an order', async () => {
    // Same site: the browser does send the SameSite cookie here, so only the guard stands in the way.
    const before = [...guarded.orders];
    for (const api of [guarded, control]) {
      const page = await browser.context.newPage();
      await page.goto(`${sibling.get(api)!.origin}/fetch`);
      const answer = page.waitForResponse((response) => response.url() === `${api.origin}/api/orders`);
      expect(await page.evaluate(() => (globalThis as unknown as { attack: () => Promise<string> }).attack())).toBe('sent');
      expect((await answer).status()).toBe(api === guarded ? 403 : 201);
      await page.close();
    }
    expect(guarded.orders).toEqual(before);
    expect(control.orders).toContain('forged-by-fetch');
  });

  it("with csrf.token.fieldName, the app's own form passes with the hidden _csrf field and is refused without it", async () => {
    for (const [token, status] of [['yes', 201], ['no', 403]] as const) {
      const page = await browser.context.newPage();
      const answer = page.waitForResponse((response) => response.url() === `${withFormToken.origin}/api/orders`);
      await page.goto(`${withFormToken.origin}/order-form?token=${token}`);
      expect((await answer).status()).toBe(status);
      await page.close();
    }
    // Only the form with the token created an order: same-origin alone is not enough here.
    expect(withFormToken.orders).toEqual(['ordered-by-form']);
  });
});
