import { createHmac, timingSafeEqual, type KeyObject } from 'node:crypto';
import { closestName } from '../config.js';
import { configError } from '../errors.js';
import { importNamedSecret } from '../keys/secret-strength.js';
import type { JWTPayload, SecretInput } from '../options.js';
import type { GuardRequest } from './request.js';

/**
 * The signed double-submit token (OWASP's "signed, session-bound" variant): an HMAC of the
 * session's binding (its `sid`, else `sub`), so a page can keep one token for the session's life
 * and another session's token, or a made-up one, does not pass. Read from a header only: the
 * cookie that carries the access token is never read as the CSRF token.
 */
export interface CsrfTokenOptions {
  /** The HMAC key: a string (its UTF-8 bytes) or bytes, at least 32, checked like an HS256 secret. Not the signing secret of the JWTs. */
  secret: SecretInput;
  /** The request header that carries the token, a single value. Default `'x-csrf-token'`. */
  headerName?: string;
  /** The session a token is bound to, from the verified payload. Default `payload.sid ?? payload.sub`. */
  bind?: (payload: JWTPayload) => string | undefined;
}

/** The checked `csrf.token` options, the key imported once. */
export interface CsrfTokenPolicy {
  /** Lowercase, as Node names request headers. */
  readonly headerName: string;
  readonly bind: (payload: JWTPayload) => string | undefined;
  /** The expected token of a binding, as bytes. */
  readonly expectedFor: (binding: string) => Buffer;
}

const TOKEN_OPTION_NAMES = ['secret', 'headerName', 'bind'];
/** Domain separation: a CSRF token is never a valid HMAC of anything else made with the same secret. */
const CONTEXT = 'jwt-guard csrf v1\0';
/** RFC 9110 §5.1 field name characters. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/**
 * Expected tokens remembered per binding: a session's requests reuse one instead of an HMAC each
 * (~2.5 µs). Bindings come from verified tokens only, so the map grows with real sessions, and is
 * emptied when full.
 */
const MAX_REMEMBERED = 10_000;

function defaultBinding(payload: JWTPayload): string | undefined {
  const sid: unknown = payload.sid;
  if (typeof sid === 'string' && sid !== '') return sid;
  return typeof payload.sub === 'string' && payload.sub !== '' ? payload.sub : undefined;
}

/** Imports a CSRF secret with the HS256 secret checks (length, placeholder), messages naming `where`. */
function importCsrfSecret(secret: unknown, where: string): KeyObject {
  if (secret === undefined) throw configError(`${where} is required: a random secret of at least 32 bytes, other than the JWT secret.`);
  return importNamedSecret(secret as SecretInput, where).key;
}

function tokenOf(key: KeyObject | SecretInput, binding: string): string {
  return createHmac('sha256', key).update(CONTEXT).update(binding).digest('base64url');
}

function checkBinding(binding: unknown): asserts binding is string {
  if (typeof binding !== 'string' || binding === '') throw new TypeError('createCsrfToken: `binding` must be a non-empty string (the session id).');
}

/**
 * The CSRF token of one session: base64url(HMAC-SHA256(secret, "jwt-guard csrf v1\0" + binding)).
 * Deterministic, so the page can keep it for the session's life. The secret is checked like an
 * HS256 secret (`config_invalid` when weak).
 */
export function createCsrfToken(secret: SecretInput, binding: string): string {
  checkBinding(binding);
  return tokenOf(importCsrfSecret(secret, 'the CSRF secret'), binding);
}

/** Whether `candidate` is this session's CSRF token, compared in constant time; false (never a throw) for anything else. */
export function verifyCsrfToken(secret: SecretInput, binding: string, candidate: unknown): boolean {
  if (typeof binding !== 'string' || binding === '') return false;
  return matches(expectedOf(importCsrfSecret(secret, 'the CSRF secret'), binding), candidate);
}

function expectedOf(key: KeyObject, binding: string): Buffer {
  return Buffer.from(tokenOf(key, binding), 'latin1');
}

/** `expectedOf` with the last sessions' tokens remembered. */
function rememberingExpected(key: KeyObject): (binding: string) => Buffer {
  const remembered = new Map<string, Buffer>();
  return (binding) => {
    let expected = remembered.get(binding);
    if (expected === undefined) {
      if (remembered.size >= MAX_REMEMBERED) remembered.clear();
      expected = expectedOf(key, binding);
      remembered.set(binding, expected);
    }
    return expected;
  };
}

function matches(expected: Buffer, candidate: unknown): boolean {
  if (typeof candidate !== 'string') return false;
  const given = Buffer.from(candidate, 'utf8');
  // timingSafeEqual throws on a length difference; the length of a token is no secret.
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** `csrf.token`, checked at start-up; undefined when not configured. */
export function csrfTokenPolicyOf(option: unknown): CsrfTokenPolicy | undefined {
  if (option === undefined) return undefined;
  if (typeof option !== 'object' || option === null || Array.isArray(option)) {
    throw configError('csrf.token must be an object such as { secret } (a random secret of at least 32 bytes).');
  }
  for (const name of Object.keys(option)) {
    if (TOKEN_OPTION_NAMES.includes(name)) continue;
    const close = closestName(name, TOKEN_OPTION_NAMES);
    throw configError(`unknown option "csrf.token.${name}"${close === undefined ? `; csrf.token takes ${TOKEN_OPTION_NAMES.join(', ')}.` : `; did you mean "csrf.token.${close}"?`}`);
  }
  const { secret, headerName = 'x-csrf-token', bind = defaultBinding } = option as Partial<CsrfTokenOptions>;
  const key = importCsrfSecret(secret, 'csrf.token.secret');
  if (typeof headerName !== 'string' || !HEADER_NAME.test(headerName)) throw configError('csrf.token.headerName must be a header name such as "x-csrf-token".');
  if (['cookie', 'authorization'].includes(headerName.toLowerCase())) throw configError(`csrf.token.headerName cannot be "${headerName}": the token must come from a header of its own.`);
  if (typeof bind !== 'function') throw configError('csrf.token.bind must be a function (payload) => the session id.');
  return Object.freeze({ headerName: headerName.toLowerCase(), bind, expectedFor: rememberingExpected(key) });
}

/**
 * Why an unsafe cookie-token request's CSRF token does not pass, for the hint; undefined when it
 * does. Runs after verification: the binding comes from the verified payload.
 */
export function csrfTokenRefusal(request: GuardRequest, payload: JWTPayload, policy: CsrfTokenPolicy): string | undefined {
  const name = policy.headerName;
  const value = request.headers[name];
  if (value === undefined || value === '') return `no ${name} header was sent on a ${request.method} with the token in a cookie: the page must send the session's CSRF token in ${name} (header only, not a form field).`;
  // Node joins repeated custom headers with ", "; base64url has no comma.
  if (Array.isArray(value) || value.includes(',')) return `several ${name} values were sent: send exactly one.`;
  let binding: string | undefined;
  try {
    binding = policy.bind(payload);
  } catch {
    binding = undefined;
  }
  if (typeof binding !== 'string' || binding === '') {
    return `the token has no session to bind the ${name} to (no sid or sub claim, or csrf.token.bind gave none): issue access tokens with a sid or sub.`;
  }
  return matches(policy.expectedFor(binding), value) ? undefined : `the ${name} does not match this session: send the CSRF token issued with this session's login or refresh.`;
}
