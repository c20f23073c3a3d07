import { describe, expect, it } from 'vitest';
import { isJwtGuardError } from '@jwt-guard/core';
import { serializeCookie, type CookieAttributes } from '@jwt-guard/session';
import { sessionCookies } from '../src/session-cookies.js';

/** The config_invalid error a call throws (fails the test when it does not throw one). */
function refusal(call: () => unknown): { code: string; message: string } {
  try {
    call();
  } catch (error) {
    if (isJwtGuardError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal');
}

const safe: CookieAttributes = { path: '/', secure: true, httpOnly: true, sameSite: 'Strict' };

describe('serializeCookie', () => {
  it('writes the attributes in Set-Cookie syntax', () => {
    expect(serializeCookie('__Host-a', 'v.1-_', { ...safe, maxAge: 300 })).toBe('__Host-a=v.1-_; Max-Age=300; Path=/; Secure; HttpOnly; SameSite=Strict');
    expect(serializeCookie('s', 'x', { domain: 'example.com', path: '/auth', expires: new Date(0) })).toBe(
      's=x; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Domain=example.com; Path=/auth',
    );
  });

  it.each<[string, string, CookieAttributes, RegExp]>([
    ['__Host-a', 'v', { ...safe, domain: 'example.com' }, /__Host- cookie must not have a domain/],
    ['__Host-a', 'v', { ...safe, secure: false }, /__Host- cookie needs secure/],
    ['__Host-a', 'v', { ...safe, path: '/auth' }, /__Host- cookie needs path "\/"/],
    ['__Host-a', 'v', { secure: true }, /__Host- cookie needs path "\/"/],
    ['__host-a', 'v', { ...safe, domain: 'example.com' }, /__Host- cookie must not have a domain/],
    ['__Secure-a', 'v', { path: '/' }, /__Secure- cookie needs secure/],
    ['a', 'v', { sameSite: 'None' }, /SameSite=None needs secure/],
    ['a b', 'v', {}, /cookie name .* RFC 6265 token/],
    ['a;b', 'v', {}, /cookie name/],
    ['', 'v', {}, /cookie name/],
    ['a', 'v w', {}, /RFC 6265 cookie-octets/],
    ['a', 'v;Domain=evil.test', {}, /RFC 6265 cookie-octets/],
    ['a', 'v"', {}, /RFC 6265 cookie-octets/],
    ['a', 'v\r\nSet-Cookie: b=c', {}, /RFC 6265 cookie-octets/],
    ['a', 'v', { maxAge: 1.5 }, /maxAge must be a non-negative integer/],
    ['a', 'v', { maxAge: Number.NaN }, /maxAge must be a non-negative integer/],
    ['a', 'v', { maxAge: -1 }, /maxAge must be a non-negative integer/],
    ['a', 'v', { path: 'auth' }, /path must start with "\/"/],
    ['a', 'v', { path: '/a;Domain=evil.test' }, /path has characters/],
    ['a', 'v', { domain: 'a.test\r\nX: y' }, /domain has characters/],
    ['a', 'v', { sameSite: 'strict' as 'Strict' }, /sameSite must be/],
  ])('refuses %j=%j with %j', (name, value, attributes, message) => {
    const error = refusal(() => serializeCookie(name, value, attributes));
    expect(error.code).toBe('config_invalid');
    expect(error.message).toMatch(message);
  });
});

describe('the session cookies', () => {
  it('default to HttpOnly, Secure, SameSite=Strict: __Host- access cookie on /, __Secure- refresh cookie on /auth', () => {
    const cookies = sessionCookies();
    expect(cookies.access('t', 300)).toBe('__Host-access_token=t; Max-Age=300; Path=/; Secure; HttpOnly; SameSite=Strict');
    expect(cookies.refresh('r', 86400)).toBe('__Secure-refresh_token=r; Max-Age=86400; Path=/auth; Secure; HttpOnly; SameSite=Strict');
  });

  it('clear both cookies with the same name, path and domain and Max-Age=0', () => {
    const cookies = sessionCookies({ refresh: { path: '/api/auth', domain: 'app.example.com' } });
    expect(cookies.clear()).toEqual([
      '__Host-access_token=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Strict',
      '__Secure-refresh_token=; Max-Age=0; Domain=app.example.com; Path=/api/auth; Secure; HttpOnly; SameSite=Strict',
    ]);
  });

  it('are checked when created: a __Host- refresh cookie off "/", a domain on the access cookie, equal names, unknown options', () => {
    expect(refusal(() => sessionCookies({ refresh: { name: '__Host-refresh' } })).message).toMatch(/__Host- cookie needs path "\/"/);
    expect(refusal(() => sessionCookies({ access: { domain: 'example.com' } })).message).toMatch(/__Host- cookie must not have a domain/);
    expect(refusal(() => sessionCookies({ access: { name: 'x' }, refresh: { name: 'x' } })).message).toMatch(/different names/);
    expect(refusal(() => sessionCookies({ refresh: { pth: '/auth' } as never })).message).toMatch(/did you mean "path"/);
  });

  it('accept a __Host- refresh cookie on "/" and SameSite=Lax', () => {
    const cookies = sessionCookies({ refresh: { name: '__Host-refresh', path: '/', sameSite: 'Lax' } });
    expect(cookies.refresh('r', 1)).toBe('__Host-refresh=r; Max-Age=1; Path=/; Secure; HttpOnly; SameSite=Lax');
  });
});
