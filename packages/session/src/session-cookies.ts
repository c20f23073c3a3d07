import { checkOptionNames, configError } from '@jwt-guard/core';
import { serializeCookie, type CookieAttributes } from './cookies.js';

/** One of the session's two cookies. `HttpOnly` and `Secure` are always set: they are not options. */
export interface SessionCookieOptions {
  /** The cookie name. Access default `__Host-access_token`; refresh default `__Secure-refresh_token`. */
  name?: string;
  /** Access default `/` (a `__Host-` name needs it); refresh default `/auth`, where the refresh endpoint lives. */
  path?: string;
  /** Unset by default (host-only). Refused with a `__Host-` name. */
  domain?: string;
  /** Default `'Strict'`. */
  sameSite?: CookieAttributes['sameSite'];
}

export interface SessionCookiesOptions {
  access?: SessionCookieOptions;
  refresh?: SessionCookieOptions;
}

/** The session's cookies, with their attributes checked once, at `createSessions` time. */
export interface SessionCookies {
  readonly accessName: string;
  readonly refreshName: string;
  access(token: string, maxAgeSeconds: number): string;
  refresh(token: string, maxAgeSeconds: number): string;
  /** Both cookies, emptied with `Max-Age=0` and the same name, path and domain (or browsers keep them). */
  clear(): string[];
}

const COOKIE_OPTION_NAMES = ['name', 'path', 'domain', 'sameSite'];

export function sessionCookies(options: SessionCookiesOptions = {}): SessionCookies {
  checkOptionNames(options, ['access', 'refresh']);
  const access = cookieAttributes(options.access, '__Host-access_token', '/');
  const refresh = cookieAttributes(options.refresh, '__Secure-refresh_token', '/auth');
  if (access.name === refresh.name) {
    throw configError(`cookies.access.name and cookies.refresh.name are both ${access.name}: the two cookies need different names.`);
  }
  // Serializing once here refuses an unsafe configuration at start-up, not on the first login.
  serializeCookie(access.name, '', access.attributes);
  serializeCookie(refresh.name, '', refresh.attributes);
  return {
    accessName: access.name,
    refreshName: refresh.name,
    access: (token, maxAge) => serializeCookie(access.name, token, { ...access.attributes, maxAge }),
    refresh: (token, maxAge) => serializeCookie(refresh.name, token, { ...refresh.attributes, maxAge }),
    clear: () => [
      serializeCookie(access.name, '', { ...access.attributes, maxAge: 0 }),
      serializeCookie(refresh.name, '', { ...refresh.attributes, maxAge: 0 }),
    ],
  };
}

function cookieAttributes(
  options: SessionCookieOptions | undefined,
  defaultName: string,
  defaultPath: string,
): { name: string; attributes: CookieAttributes } {
  if (options !== undefined) checkOptionNames(options, COOKIE_OPTION_NAMES);
  const attributes: CookieAttributes = {
    path: options?.path ?? defaultPath,
    secure: true,
    httpOnly: true,
    sameSite: options?.sameSite ?? 'Strict',
  };
  if (options?.domain !== undefined) attributes.domain = options.domain;
  return { name: options?.name ?? defaultName, attributes };
}
