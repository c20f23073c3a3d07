import { configError, isCookieName } from '@jwt-guard/core';

/** Attributes of one `Set-Cookie` header (RFC 6265 §4.1; prefixes from RFC 6265bis §4.1.3). */
export interface CookieAttributes {
  /** Seconds until the cookie expires; 0 deletes it. A non-negative integer. */
  maxAge?: number;
  /** Absolute expiry; `maxAge` is preferred (and wins in browsers when both are set). */
  expires?: Date;
  /** Sends the cookie to this host and its subdomains. Refused with a `__Host-` name. */
  domain?: string;
  /** The path the cookie is sent to. Must start with `/`; a `__Host-` name needs exactly `/`. */
  path?: string;
  /** Only over HTTPS (browsers treat http://localhost as secure). Required by `__Host-`, `__Secure-`, `SameSite=None`. */
  secure?: boolean;
  /** Not readable by page scripts (`document.cookie`). */
  httpOnly?: boolean;
  /** `Strict`: never sent on cross-site requests; `Lax`: sent on top-level navigations; `None`: always (needs `secure`). */
  sameSite?: 'Strict' | 'Lax' | 'None';
}

// cookie-octet (RFC 6265 §4.1.1): visible US-ASCII except space, `"`, `,`, `;` and `\`.
const COOKIE_VALUE = /^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*$/;
// A Path or Domain value: any CHAR except CTLs and `;` (RFC 6265 §4.1.1 av-octet); we also refuse spaces and commas.
const ATTRIBUTE_VALUE = /^[\x21-\x2b\x2d-\x3a\x3c-\x7e]+$/;
const SAME_SITE = new Set(['Strict', 'Lax', 'None']);

/**
 * One `Set-Cookie` header value. Unsafe or malformed attributes throw a `JwtGuardError`
 * (`config_invalid`) rather than produce a cookie the browser would reject or that leaks:
 * `__Host-` with `Domain`, without `Secure` or with a `Path` other than `/`; `__Secure-` without
 * `Secure`; `SameSite=None` without `Secure`; a name or value outside RFC 6265's characters; a
 * `Max-Age` that is not a non-negative integer. Prefixes are matched without case, as browsers do.
 */
export function serializeCookie(name: string, value: string, attributes: CookieAttributes = {}): string {
  if (!isCookieName(name)) {
    throw configError(`cookie name ${JSON.stringify(name)} has characters outside an RFC 6265 token (letters, digits and !#$%&'*+-.^_\`|~).`);
  }
  if (typeof value !== 'string' || !COOKIE_VALUE.test(value)) {
    // The value is not quoted: it may be a token.
    throw configError(`the value of cookie ${name} has characters outside RFC 6265 cookie-octets (no spaces, quotes, commas, semicolons or backslashes).`);
  }
  checkPrefix(name, attributes);
  const parts = [`${name}=${value}`];
  const { maxAge, expires, domain, path, secure, httpOnly, sameSite } = attributes;
  if (maxAge !== undefined) {
    if (!Number.isSafeInteger(maxAge) || maxAge < 0) throw configError(`cookie ${name}: maxAge must be a non-negative integer (seconds), not ${String(maxAge)}.`);
    parts.push(`Max-Age=${maxAge}`);
  }
  if (expires !== undefined) {
    if (!(expires instanceof Date) || Number.isNaN(expires.getTime())) throw configError(`cookie ${name}: expires must be a valid Date.`);
    parts.push(`Expires=${expires.toUTCString()}`);
  }
  if (domain !== undefined) parts.push(`Domain=${attributeValue(name, 'domain', domain)}`);
  if (path !== undefined) {
    if (!path.startsWith('/')) throw configError(`cookie ${name}: path must start with "/", not ${JSON.stringify(path)}.`);
    parts.push(`Path=${attributeValue(name, 'path', path)}`);
  }
  if (secure === true) parts.push('Secure');
  if (httpOnly === true) parts.push('HttpOnly');
  if (sameSite !== undefined) {
    if (!SAME_SITE.has(sameSite)) throw configError(`cookie ${name}: sameSite must be 'Strict', 'Lax' or 'None', not ${JSON.stringify(sameSite)}.`);
    if (sameSite === 'None' && secure !== true) throw configError(`cookie ${name}: SameSite=None needs secure: true (browsers drop it otherwise).`);
    parts.push(`SameSite=${sameSite}`);
  }
  return parts.join('; ');
}

/** The prefixes make the browser enforce what the name promises (RFC 6265bis §4.1.3). */
function checkPrefix(name: string, { domain, path, secure }: CookieAttributes): void {
  const lower = name.toLowerCase();
  if (lower.startsWith('__host-')) {
    if (secure !== true) throw configError(`cookie ${name}: a __Host- cookie needs secure: true.`);
    if (domain !== undefined) throw configError(`cookie ${name}: a __Host- cookie must not have a domain (it is bound to the host that set it).`);
    if (path !== '/') {
      throw configError(`cookie ${name}: a __Host- cookie needs path "/" (not ${JSON.stringify(path)}); for a narrower path use a __Secure- name.`);
    }
  } else if (lower.startsWith('__secure-') && secure !== true) {
    throw configError(`cookie ${name}: a __Secure- cookie needs secure: true.`);
  }
}

function attributeValue(name: string, attribute: string, value: unknown): string {
  if (typeof value !== 'string' || !ATTRIBUTE_VALUE.test(value)) {
    throw configError(`cookie ${name}: ${attribute} has characters that do not belong in a cookie attribute (controls, spaces, commas or semicolons).`);
  }
  return value;
}
