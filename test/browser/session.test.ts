// examples/browser-session in Debian's Chromium: the page logs in through its own form, never sees a
// token, keeps working across access-token expiry by refreshing, and loses its session when an old
// refresh token is replayed (reuse detection) or it logs out. Another site's form and fetch, and a
// same-site sibling's fetch, are refused by the guard. One browser, one in-process server.
import type { Server } from 'node:http';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBrowserSessionApp, type BrowserSessionApp } from '../../examples/browser-session/src/server.js';
import { launchChromium, type ChromiumSession } from './support/chromium.js';
import { attackerSite, listen, type ForgedFetch } from './support/sites.js';

const FORGED_JSON: ForgedFetch = { contentType: 'text/plain', body: '{"item":"forged-by-fetch"}' };

const ACCESS_COOKIE = '__Host-access_token';
const REFRESH_COOKIE = '__Secure-refresh_token';
const ENV = {
  ACCESS_TOKEN_LIFETIME: '2s',
  REFRESH_REUSE_INTERVAL: '1s',
  SESSION_SECRET: 'pG-FFRM237Pp_AstAg3-1PiTdNAZlk8NyVWQXNAHrTk',
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('examples/browser-session in Chromium', () => {
  let example: BrowserSessionApp;
  let server: Server;
  let origin: string;
  let browser: ChromiumSession;
  const attackers: { origin: string; server: Server }[] = [];
  const events: string[] = [];

  beforeAll(async () => {
    example = createBrowserSessionApp(ENV, { onEvent: (event) => events.push(event.type) });
    const listening = await listen(example.app);
    server = listening.server;
    origin = `http://127.0.0.1:${listening.port}`;
    attackers.push(await attackerSite('localhost', origin, FORGED_JSON), await attackerSite('127.0.0.1', origin, FORGED_JSON));
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    for (const { server: attacker } of attackers) attacker.close();
    server?.close();
  });

  // The refresh cookie is sent only to /auth: ask for the cookies of both paths.
  const sessionCookies = () => browser.context.cookies([`${origin}/`, `${origin}/auth/refresh`]);
  const cookie = async (name: string) => (await sessionCookies()).find((c) => c.name === name);
  const items = (page: Page) => page.locator('#order-list li').allTextContents();

  /** Opens the page and logs in through its form, as a user would (a new user: no cookies yet). */
  async function loggedInPage(): Promise<Page> {
    await browser.context.clearCookies();
    const page = await browser.context.newPage();
    await page.goto(`${origin}/`);
    await page.locator('#login').waitFor({ state: 'visible' });
    await page.fill('#login input[name=username]', 'demo');
    await page.fill('#login input[name=password]', 'demo');
    await page.click('#login button[type=submit]');
    await page.locator('#orders').waitFor({ state: 'visible' });
    return page;
  }

  async function addOrder(page: Page, item: string): Promise<void> {
    await page.fill('#add-order input[name=item]', item);
    await page.click('#add-order button[type=submit]');
  }

  it('after login the page cannot read a token, and its own calls work (list, add)', async () => {
    const page = await loggedInPage();
    // The test's tsconfig has no DOM types: the page's `document` reached through globalThis.
    expect(await page.evaluate(() => (globalThis as unknown as { document: { cookie: string } }).document.cookie)).toBe('');
    const cookies = await sessionCookies();
    expect(cookies.filter((c) => c.httpOnly).map((c) => c.name).sort()).toEqual([ACCESS_COOKIE, REFRESH_COOKIE]);
    await addOrder(page, 'first order');
    await expect.poll(() => items(page)).toEqual(['first order']);
    expect(example.orders.map((order) => order.item)).toEqual(['first order']);
    await page.close();
  });

  it("another site's form and fetch, and a same-site sibling's fetch, are refused by the guard and create nothing", async () => {
    const [crossSite, sibling] = attackers;
    const page = await loggedInPage();
    const before = await items(page);

    // The sibling is the same site: the browser sends the cookie, so only the CSRF check stops it
    // (403). The access token lives 2 s here, so the page refreshes first: the cookie is live.
    expect(await page.evaluate(async () => (await fetch('/auth/refresh', { method: 'POST' })).status)).toBe(200);
    for (const attacker of [sibling!, crossSite!]) {
      const attack = await browser.context.newPage();
      await attack.goto(`${attacker.origin}/fetch`);
      const answer = attack.waitForResponse((response) => response.url() === `${origin}/api/orders`);
      expect(await attack.evaluate(() => (globalThis as unknown as { attack: () => Promise<string> }).attack())).toBe('sent');
      const response = await answer;
      if (attacker === sibling) {
        // The demo user holds both scopes, so a 403 here is the CSRF check (a no-cors body is opaque).
        expect(response.status()).toBe(403);
      } else {
        // Chromium attaches no third-party cookie to this fetch: 401 without a token, else 403.
        expect([401, 403]).toContain(response.status());
      }
      await attack.close();
    }

    const form = await browser.context.newPage();
    const formAnswer = form.waitForResponse((response) => response.url() === `${origin}/api/orders`);
    await form.goto(`${crossSite!.origin}/form`);
    // SameSite=Strict: the cross-site form arrives without the cookie (401); were it sent, CSRF (403).
    expect([401, 403]).toContain((await formAnswer).status());
    await form.close();

    await page.reload();
    await page.locator('#orders').waitFor({ state: 'visible' });
    expect(await items(page)).toEqual(before);
    expect(example.orders.map((order) => order.item)).toEqual(before);
    await page.close();
  });

  it('keeps working across access-token expiry: the page refreshes without the user noticing', async () => {
    const page = await loggedInPage();
    const refreshes = events.filter((type) => type === 'refreshed').length;
    const refusals: Promise<unknown>[] = [];
    page.on('response', (response) => {
      if (response.url().startsWith(`${origin}/api/`) && response.status() === 401) refusals.push(response.json());
    });
    await sleep(2_500);
    await addOrder(page, 'after expiry');
    await expect.poll(() => items(page)).toContain('after expiry');
    // The access cookie outlives its token, so the guard says why (expired), and that is what the page refreshes on.
    expect(await Promise.all(refusals)).toEqual([expect.objectContaining({ error: 'token_expired' })]);
    expect(await page.locator('#login').isHidden()).toBe(true);
    expect(events.filter((type) => type === 'refreshed').length).toBeGreaterThan(refreshes);
    expect(example.orders.map((order) => order.item)).toContain('after expiry');
    await page.close();
  });

  it('logout clears both cookies, and the old access token replayed from outside the browser is refused', async () => {
    const page = await loggedInPage();
    const access = await cookie(ACCESS_COOKIE);
    expect(access).toBeDefined();
    await page.click('#logout');
    await page.locator('#login').waitFor({ state: 'visible' });
    expect(await cookie(ACCESS_COOKIE)).toBeUndefined();
    expect(await cookie(REFRESH_COOKIE)).toBeUndefined();
    const replay = await fetch(`${origin}/api/orders`, { headers: { cookie: `${ACCESS_COOKIE}=${access!.value}` } });
    expect(replay.status).toBe(401);
    expect(await replay.json()).toMatchObject({ error: 'token_revoked' });
    await page.close();
  });

  // Last: reuse revokes the subject's access tokens up to this second, which would refuse a login
  // made by a following test within the same second.
  it('an old refresh token replayed after the reuse interval is refused, and the live session dies with it', async () => {
    const page = await loggedInPage();
    const stolen = (await cookie(REFRESH_COOKIE))!.value;
    // The page's own refresh rotates the token; the stolen one is now a rotated (old) token.
    expect(await page.evaluate(async () => (await fetch('/auth/refresh', { method: 'POST' })).status)).toBe(200);
    expect((await cookie(REFRESH_COOKIE))!.value).not.toBe(stolen);
    await sleep(1_200);

    // From outside the browser: the attacker sets whatever headers it likes, so CSRF is no obstacle here.
    const replay = await fetch(`${origin}/auth/refresh`, {
      method: 'POST',
      headers: { cookie: `${REFRESH_COOKIE}=${stolen}`, 'sec-fetch-site': 'same-origin' },
    });
    expect(replay.status).toBe(401);
    expect(await replay.json()).toMatchObject({ error: 'refresh_token_reused' });
    expect(events).toContain('reuse_detected');

    const before = example.orders.length;
    await addOrder(page, 'after theft');
    await page.locator('#login').waitFor({ state: 'visible' });
    expect(example.orders).toHaveLength(before);
    expect(await page.evaluate(async () => (await fetch('/auth/refresh', { method: 'POST' })).status)).toBe(401);
    await page.close();
  });
});
