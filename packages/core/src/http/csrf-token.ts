import { createHmac, timingSafeEqual, type KeyObject } from 'node:crypto';
import { closestName } from '../config.js';
import { configError } from '../errors.js';
import { importNamedSecret } from '../keys/secret-strength.js';
import type { JWTPayload, SecretInput } from '../options.js';
import type { GuardRequest } from './request.js';

/**
 * The signed double-submit token (OWASP's "signed, session-bound" variant): an HMAC of the
 * session's binding (its `sid`, else `sub`), so a page can keep one token for the session's life
 * and another session's token, or a made-up one, does not pass. Read from a header, or with
 * `fieldName` from a field of the parsed body (an HTML form); the cookie that carries the access
 * token is never read as the CSRF token.
 */
export interface CsrfTokenOptions {
  /** The HMAC key: a string (its UTF-8 bytes) or bytes, at least 32, checked like an HS256 secret. Not the signing secret of the JWTs. */
  secret: SecretInput;
  /** The request header that carries the token, a single value. Default `'x-csrf-token'`. */
  headerName?: string;
  /**
   * Also accept the token from this field of the parsed request body (e.g. `'_csrf'`, a hidden
   * input of an HTML form), when the header is absent. The body must be parsed before the guard
   * runs: `express.urlencoded()` before `jwtGuard` on Express, a body parser before it on Koa;
   * on Fastify the guard then runs in `preValidation` (register `@fastify/formbody` for forms).
   * Default: none (header only).
   */
  fieldName?: string;
  /** The session a token is bound to, from the verified payload. Default `payload.sid ?? payload.sub`. */
  bind?: (payload: JWTPayload) => string | undefined;
}

/** The checked `csrf.token` options, the key imported once. */
export interface CsrfTokenPolicy {
  /** Lowercase, as Node names request headers. */
  readonly headerName: string;
  /** The body field also read, when configured. */
  readonly fieldName: string | undefined;
  readonly bind: (payload: JWTPayload) => string | undefined;
  /** The expected token of a binding, as bytes. */
  readonly expectedFor: (binding: string) => Buffer;
}

const TOKEN_OPTION_NAMES = ['secret', 'headerName', 'fieldName', 'bind'];
/** Domain separation: a CSRF token is never a valid HMAC of anything else made with the same secret. */
const CONTEXT = 'jwt-guard csrf v1\0';
/** RFC 9110 §5.1 field name characters. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** A form field name as a hidden input would carry it. */
const FIELD_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
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

/**
 * `createCsrfToken` for one secret, imported and checked once (at the call, so a weak secret fails
 * at start-up): for an issuer that makes a token at every login and refresh.
 */
export function csrfTokenSigner(secret: SecretInput): (binding: string) => string {
  const key = importCsrfSecret(secret, 'the CSRF secret');
  return (binding) => {
    checkBinding(binding);
    return tokenOf(key, binding);
  };
}

/**
 * A form field name option (`csrf.token.fieldName`, or an issuer's own option naming it), checked:
 * short, no brackets (qs would nest it), nothing to escape. Undefined stays undefined.
 */
export function checkCsrfFieldName(fieldName: unknown, where: string): string | undefined {
  if (fieldName !== undefined && (typeof fieldName !== 'string' || !FIELD_NAME.test(fieldName))) {
    throw configError(`${where} must be a form field name such as "_csrf" (letters, digits, _ . -, at most 64).`);
  }
  return fieldName;
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
  const { secret, headerName = 'x-csrf-token', fieldName, bind = defaultBinding } = option as Partial<CsrfTokenOptions>;
  const key = importCsrfSecret(secret, 'csrf.token.secret');
  if (typeof headerName !== 'string' || !HEADER_NAME.test(headerName)) throw configError('csrf.token.headerName must be a header name such as "x-csrf-token".');
  if (['cookie', 'authorization'].includes(headerName.toLowerCase())) throw configError(`csrf.token.headerName cannot be "${headerName}": the token must come from a header of its own.`);
  checkCsrfFieldName(fieldName, 'csrf.token.fieldName');
  if (typeof bind !== 'function') throw configError('csrf.token.bind must be a function (payload) => the session id.');
  return Object.freeze({ headerName: headerName.toLowerCase(), fieldName, bind, expectedFor: rememberingExpected(key) });
}

/** The body field's value, or why there is none to read; only an own property of a parsed body counts. */
function fieldValue(body: unknown, field: string): { value: unknown } | { missing: string } {
  if (typeof body !== 'object' || body === null) {
    return { missing: 'no parsed body to read it from: parse the body before the guard (express.urlencoded() before jwtGuard on Express, a body parser before it on Koa, @fastify/formbody on Fastify, with the guard in preValidation, not onRequest)' };
  }
  if (!Object.hasOwn(body, field)) return { missing: `the body has no ${field} field` };
  return { value: (body as Record<string, unknown>)[field] };
}

/** The CSRF token a request carries (the header first, then the body field), or why none counts. */
function candidateOf(request: GuardRequest, policy: CsrfTokenPolicy): { value: string; where: string } | { refusal: string } {
  const name = policy.headerName;
  const header = request.headers[name];
  const field = policy.fieldName;
  let value: unknown = header;
  let where = name;
  if (header === undefined || header === '') {
    if (field === undefined) return { refusal: `no ${name} header was sent on a ${request.method} with the token in a cookie: the page must send the session's CSRF token in ${name} (header only: csrf.token.fieldName is not set).` };
    const read = fieldValue(request.body, field);
    if ('missing' in read) return { refusal: `no ${name} header was sent on a ${request.method} with the token in a cookie, and ${read.missing}: send the session's CSRF token in ${name} or in the ${field} form field.` };
    value = read.value;
    where = `${field} field`;
  }
  // Node joins repeated custom headers with ", " and a parsed form gives an array; base64url has no comma.
  if (Array.isArray(value) || (typeof value === 'string' && value.includes(','))) return { refusal: `several ${where} values were sent: send exactly one.` };
  if (typeof value !== 'string' || value === '') return { refusal: `the ${where} is not a text value: send the token as it was issued.` };
  return { value, where };
}

/**
 * Why an unsafe cookie-token request's CSRF token does not pass, for the hint; undefined when it
 * does. Runs after verification: the binding comes from the verified payload.
 */
export function csrfTokenRefusal(request: GuardRequest, payload: JWTPayload, policy: CsrfTokenPolicy): string | undefined {
  const candidate = candidateOf(request, policy);
  if ('refusal' in candidate) return candidate.refusal;
  let binding: unknown;
  try {
    binding = policy.bind(payload);
    // An async bind is a mistake (refused below); its rejection must not become an unhandled one.
    if (binding instanceof Promise) binding.catch(() => undefined);
  } catch {
    binding = undefined;
  }
  if (typeof binding !== 'string' || binding === '') {
    return `the token has no session to bind the CSRF token to (no sid or sub claim, or csrf.token.bind gave none): issue access tokens with a sid or sub.`;
  }
  return matches(policy.expectedFor(binding), candidate.value) ? undefined : `the ${candidate.where} does not match this session: send the CSRF token issued with this session's login or refresh.`;
}
