import {
  appendVary,
  callHook,
  checkCsrf,
  checkOptionNames,
  configError,
  csrfPolicy,
  errorResponse,
  readCookie,
  type CsrfOptions,
  type GuardRequest,
} from '@jwt-guard/core';
import { isSessionError, type SessionErrorCode } from './errors.js';
import type { IssuedTokens, LoginInput, Sessions } from './sessions.js';

/** What the endpoints need from an HTTP request; each adapter builds one from its framework's request. */
export interface EndpointRequest extends GuardRequest {
  /** The body as JSON the framework already parsed, if it did; undefined otherwise. */
  readonly body?: unknown;
  /**
   * Otherwise the raw body: resolves with at most `maxBytes` bytes, or undefined as soon as the body
   * is longer (reading stops there). `readBodyStream` implements it for a Node stream.
   */
  readonly readBody?: ((maxBytes: number) => Promise<Buffer | undefined>) | undefined;
}

/** What the adapter sends: the status, headers and body, the same on every framework. */
export interface EndpointResponse {
  status: number;
  headers: Record<string, string | string[]>;
  /** Empty for a 204. */
  body: string;
}

export type SessionEndpointName = 'login' | 'refresh' | 'logout';

/** What happened at an endpoint, for logs and metrics. Never a token, a password or a body. */
export type SessionEvent =
  | { type: 'login'; subject: string }
  /** `hint` says why, for logs: refused credentials, or what `authenticate` threw. */
  | { type: 'login_failed'; hint: string }
  | { type: 'refreshed'; subject: string }
  /** Any refused refresh except reuse, with the code the client got. */
  | { type: 'refresh_refused'; code: SessionErrorCode; hint: string | undefined }
  /** A rotated refresh token came back after the reuse interval: its family and the subject's access tokens were revoked. */
  | { type: 'reuse_detected'; hint: string | undefined }
  | { type: 'logout' }
  /** The store failed while ending the session (`503`): the cookies were cleared, the family may live on. */
  | { type: 'logout_failed'; hint: string | undefined }
  | { type: 'csrf_refused'; endpoint: SessionEndpointName; hint: string | undefined };

export interface SessionEndpointsOptions {
  /**
   * Checks a login's credentials (the parsed JSON body): the session's user, or undefined (or null)
   * to refuse. A throw is refused the same way (`401 invalid_credentials`) and reported in `onEvent`'s
   * hint; a result `login` refuses (no subject, bad scopes or claims) is `500 server_error`, with a hint.
   */
  authenticate: (body: unknown) => LoginInput | null | undefined | Promise<LoginInput | null | undefined>;
  /**
   * The CSRF check of the three endpoints (cookie-authenticated POSTs; login too, against login CSRF),
   * with the guard's meaning: default on (Fetch Metadata, then `Origin` among `trustedOrigins`).
   * Not `token`: the refresh cookie is these endpoints' credential, and at login the page has no
   * CSRF token yet; the guard checks `csrfToken` on the app's routes.
   */
  csrf?: boolean | CsrfOptions;
  /** The largest login body accepted, in bytes (else `413`). Default 4096. */
  maxBodyBytes?: number;
  /** Called for every outcome; what it throws or rejects is ignored, like the guard's hooks. */
  onEvent?: (event: SessionEvent) => unknown;
}

export interface SessionEndpoints {
  login(request: EndpointRequest): Promise<EndpointResponse>;
  refresh(request: EndpointRequest): Promise<EndpointResponse>;
  logout(request: EndpointRequest): Promise<EndpointResponse>;
}

const OPTION_NAMES = ['authenticate', 'csrf', 'maxBodyBytes', 'onEvent'];
const CSRF_VARY = 'Origin, Sec-Fetch-Site';

/** Each refusal of the endpoints' own: its stable code and what the client is told. */
const REFUSALS = {
  method_not_allowed: { error: 'method_not_allowed', description: 'Use POST.' },
  not_json: { error: 'invalid_request', description: 'The request body must be JSON (content-type: application/json).' },
  bad_json: { error: 'invalid_request', description: 'The request body is not valid JSON.' },
  too_large: { error: 'invalid_request', description: 'The request body is too large.' },
  invalid_credentials: { error: 'invalid_credentials', description: 'The credentials were not accepted.' },
  server_error: { error: 'server_error', description: 'The login could not be completed.' },
} as const;

export function sessionEndpoints(sessions: Sessions, options: SessionEndpointsOptions): SessionEndpoints {
  if (typeof options !== 'object' || options === null) throw configError('sessionEndpoints(sessions, options) needs an options object with `authenticate`.');
  checkOptionNames(options, OPTION_NAMES);
  if (typeof options.authenticate !== 'function') throw configError('sessionEndpoints needs `authenticate(body)`: it checks the credentials of a login.');
  const maxBodyBytes = options.maxBodyBytes ?? 4096;
  if (!(Number.isInteger(maxBodyBytes) && maxBodyBytes > 0)) throw configError('maxBodyBytes must be a positive integer (bytes).');
  if (typeof options.csrf === 'object' && options.csrf !== null && 'token' in options.csrf) {
    throw configError('sessionEndpoints: csrf.token is not checked here (the refresh cookie is the credential, and a login has no CSRF token yet); set csrfToken in createSessions and the guard checks it on your routes.');
  }
  const policy = csrfPolicy(options.csrf);
  const onEvent = options.onEvent;

  function report(event: SessionEvent): void {
    // A logging hook must never fail a request: core's callHook ignores its throws and rejections.
    if (onEvent !== undefined) callHook(onEvent, event);
  }

  function answer(status: number, body: object | undefined, headers: Record<string, string | string[]> = {}): EndpointResponse {
    const all: Record<string, string | string[]> = { 'cache-control': 'no-store', ...headers };
    if (policy !== undefined) all.vary = appendVary(all.vary, CSRF_VARY);
    if (body === undefined) return { status, headers: all, body: '' };
    return { status, headers: { ...all, 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(body) };
  }

  function refusal(status: number, reason: keyof typeof REFUSALS, headers?: Record<string, string>): EndpointResponse {
    const { error, description } = REFUSALS[reason];
    return answer(status, { error, error_description: description }, headers);
  }

  function issued(tokens: IssuedTokens): EndpointResponse {
    const body = {
      subject: tokens.subject,
      scopes: tokens.scopes,
      expiresAt: tokens.expiresAt.toISOString(),
      refreshExpiresAt: tokens.refreshExpiresAt.toISOString(),
      ...(tokens.csrfToken === undefined ? {} : { csrfToken: tokens.csrfToken }),
    };
    return answer(200, body, { 'set-cookie': tokens.setCookies });
  }

  /** POST only, then the CSRF check: the answer that ends the request, or undefined to go on. */
  function precheck(request: EndpointRequest, endpoint: SessionEndpointName): EndpointResponse | undefined {
    if (request.method.toUpperCase() !== 'POST') return refusal(405, 'method_not_allowed', { allow: 'POST' });
    const refused = policy === undefined ? undefined : checkCsrf(request, policy);
    if (refused === undefined) return undefined;
    report({ type: 'csrf_refused', endpoint, hint: refused.hint });
    // The guard's own refusal: 403 `csrf_check_failed`, `Vary: Origin, Sec-Fetch-Site`, no challenge.
    return errorResponse(refused);
  }

  async function login(request: EndpointRequest): Promise<EndpointResponse> {
    const early = precheck(request, 'login');
    if (early !== undefined) return early;
    if (!isJson(request.headers['content-type'])) return refusal(400, 'not_json');
    const body = await jsonBody(request, maxBodyBytes);
    if (body === TOO_LARGE) return refusal(413, 'too_large');
    if (body === INVALID) return refusal(400, 'bad_json');
    let input: LoginInput | null | undefined;
    try {
      input = await options.authenticate(body);
    } catch (error) {
      report({ type: 'login_failed', hint: `authenticate threw: ${error instanceof Error ? error.message : String(error)}` });
      return refusal(401, 'invalid_credentials');
    }
    // null too: what a JavaScript `authenticate` often returns for "no such user".
    if (input === undefined || input === null) {
      report({ type: 'login_failed', hint: 'authenticate refused the credentials' });
      return refusal(401, 'invalid_credentials');
    }
    try {
      const tokens = await sessions.login(input);
      report({ type: 'login', subject: tokens.subject });
      return issued(tokens);
    } catch (error) {
      if (isSessionError(error)) return answer(error.status, error.toJSON());
      // `login` refuses what `authenticate` returned (no subject, bad scopes or claims): the app's
      // bug, not the user's credentials. Nobody is logged in; the hint says what to fix.
      if (error instanceof TypeError) {
        report({ type: 'login_failed', hint: `authenticate returned what login refuses: ${error.message}` });
        return refusal(500, 'server_error');
      }
      throw error;
    }
  }

  async function refresh(request: EndpointRequest): Promise<EndpointResponse> {
    const early = precheck(request, 'refresh');
    if (early !== undefined) return early;
    try {
      const tokens = await sessions.refresh(readCookie(request.headers.cookie, sessions.cookieNames.refresh));
      report({ type: 'refreshed', subject: tokens.subject });
      return issued(tokens);
    } catch (error) {
      if (!isSessionError(error)) throw error;
      report(error.code === 'refresh_token_reused' ? { type: 'reuse_detected', hint: error.hint } : { type: 'refresh_refused', code: error.code, hint: error.hint });
      // A dead session's cookies are removed; a store failure (503) keeps them for a retry.
      const headers = error.status === 401 ? { 'set-cookie': (await sessions.logout(undefined)).setCookies } : undefined;
      return answer(error.status, error.toJSON(), headers);
    }
  }

  async function logout(request: EndpointRequest): Promise<EndpointResponse> {
    const early = precheck(request, 'logout');
    if (early !== undefined) return early;
    try {
      const { setCookies } = await sessions.logout(readCookie(request.headers.cookie, sessions.cookieNames.refresh));
      report({ type: 'logout' });
      return answer(204, undefined, { 'set-cookie': setCookies });
    } catch (error) {
      if (!isSessionError(error)) throw error;
      // The store could not end the session: say so (503), and still clear this browser's cookies,
      // which the user asked for; the client may retry the logout to revoke the session server-side.
      report({ type: 'logout_failed', hint: error.hint });
      return answer(error.status, error.toJSON(), { 'set-cookie': (await sessions.logout(undefined)).setCookies });
    }
  }

  return { login, refresh, logout };
}

const TOO_LARGE = Symbol('too large');
const INVALID = Symbol('invalid');

function isJson(contentType: string | string[] | undefined): boolean {
  if (typeof contentType !== 'string') return false;
  return contentType.split(';')[0]?.trim().toLowerCase() === 'application/json';
}

/** The login body: the framework's parse, else the raw body read (bounded) and parsed here. */
async function jsonBody(request: EndpointRequest, maxBytes: number): Promise<unknown> {
  if (request.body !== undefined) return request.body;
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return TOO_LARGE;
  if (request.readBody === undefined) return INVALID;
  const raw = await request.readBody(maxBytes);
  if (raw === undefined) return TOO_LARGE;
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    return INVALID;
  }
}
