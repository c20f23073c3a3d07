import { JwtGuardError } from '../errors.js';

/** An RFC 6265 cookie-name (an RFC 9110 token). */
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export function isCookieName(name: unknown): name is string {
  return typeof name === 'string' && COOKIE_NAME.test(name);
}

/**
 * The value of the cookie `name` in a request's `Cookie` header, read by one rule whatever the
 * framework or cookie parser (RFC 6265 §4.2.1, §5.4): pairs split at `;`, spaces and tabs around a
 * name or value dropped, names compared exactly; one pair of surrounding double quotes removed,
 * then `%XX` escapes decoded as UTF-8 (a value whose escapes do not decode is kept as sent, and
 * the JWT parser refuses it). Nothing else: no `j:` JSON, no `s:` signature. Undefined when the
 * cookie is absent; a name sent more than once is `400 invalid_request` (two tokens, and which one
 * a parser keeps is arbitrary: a sibling subdomain can add a second one).
 */
export function readCookie(header: string | readonly string[] | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  const text = typeof header === 'string' ? header : header.join('; ');
  let found: string | undefined;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf(';', start);
    if (end === -1) end = text.length;
    const eq = text.indexOf('=', start);
    if (eq !== -1 && eq < end && text.slice(start, eq).trim() === name) {
      if (found !== undefined) {
        throw new JwtGuardError('invalid_request', 'The access token was sent in more than one place.', {
          hint: `more than one cookie named ${name}`,
        });
      }
      found = decodeValue(text.slice(eq + 1, end).trim());
    }
    start = end + 1;
  }
  return found;
}

/**
 * Whether one cookie of a `Cookie` header holds exactly `value` (decoded as `readCookie` decodes
 * it): how the guard tells that a custom getter's token came from a cookie.
 */
export function cookieHolds(header: string | readonly string[] | undefined, value: string): boolean {
  if (header === undefined) return false;
  const text = typeof header === 'string' ? header : header.join('; ');
  for (const pair of text.split(';')) {
    const eq = pair.indexOf('=');
    if (eq !== -1 && decodeValue(pair.slice(eq + 1).trim()) === value) return true;
  }
  return false;
}

function decodeValue(value: string): string {
  const unquoted = value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
  if (!unquoted.includes('%')) return unquoted;
  try {
    return decodeURIComponent(unquoted);
  } catch {
    return unquoted;
  }
}
