import { closestName } from '../config.js';
import { configError, JwtGuardError } from '../errors.js';
import { explainRefusal } from '../explanations.js';
import { cookieHolds } from './cookies.js';
import { csrfTokenPolicyOf, type CsrfTokenOptions, type CsrfTokenPolicy } from './csrf-token.js';
import type { GuardRequest } from './request.js';
import type { TokenPlace } from './token-extraction.js';

/**
 * The CSRF defence for tokens read from a cookie (issue 15): a browser attaches a cookie to a
 * request another site's page makes, so an unsafe request carrying one must show it was made by
 * this site's own pages (Fetch Metadata, then `Origin`). A Bearer header is never attached by the
 * browser on its own, so requests that carry the token there are not checked.
 */
export interface CsrfOptions {
  /**
   * Origins trusted when the browser sends no (or an unknown) `Sec-Fetch-Site`: exact
   * `"scheme://host[:port]"` strings as browsers send them in `Origin`, e.g. `"https://app.example.com"`
   * (no path, no trailing slash, no wildcard). Default: none, so such requests are refused.
   */
  trustedOrigins?: readonly string[];
  /** Accept `Sec-Fetch-Site: same-site` (sibling subdomains of the same registrable domain). Default false. */
  allowSameSite?: boolean;
  /**
   * Also require a signed CSRF token bound to the session (`createCsrfToken(secret, sid)`) in a
   * header (or, with `fieldName`, a field of the parsed body), on unsafe requests with a cookie
   * token: checked after the token is verified (it needs the payload's `sid`/`sub`), after the Fetch
   * Metadata check. Never read from a cookie. Default: none.
   */
  token?: CsrfTokenOptions;
}

/** The checked options. */
export interface CsrfPolicy {
  readonly trustedOrigins: readonly string[];
  readonly allowSameSite: boolean;
  /** The session-bound token check, when `csrf.token` is configured. */
  readonly token?: CsrfTokenPolicy | undefined;
}

/** Why a request was refused, for the hint: which header decided and what it held (cut short, never a token). */
export interface CsrfFacts {
  method: string;
  /** `Sec-Fetch-Site` when its value decided; `Origin` when Fetch Metadata was absent or unknown; undefined when neither was usable. */
  header: 'Sec-Fetch-Site' | 'Origin' | undefined;
  /** What the deciding header held, at most 100 characters. */
  value?: string | undefined;
  /** An unknown `Sec-Fetch-Site` value that was ignored, at most 100 characters. */
  ignoredSecFetchSite?: string | undefined;
  trustedOrigins: readonly string[];
}

/** The headers every response whose outcome the check decided depends on. */
export const CSRF_VARY = 'Origin, Sec-Fetch-Site';

const CSRF_OPTION_NAMES = ['trustedOrigins', 'allowSameSite', 'token'];
const MAX_HEADER_VALUE = 100;

/**
 * The policy for a guard, checked at start-up: undefined when no request can need the check (the
 * token comes from a header) or it is disabled. `csrf: false` with a cookie or custom getter is
 * reported once, as a process warning.
 */
export function csrfPolicyOf(option: unknown, place: TokenPlace): CsrfPolicy | undefined {
  if (option === false) {
    if (place.kind === 'cookie' || place.kind === 'custom') {
      process.emitWarning(
        'jwt-guard: csrf: false — cookie tokens are not protected against CSRF: a page on any site can make the browser send the cookie with a form or fetch POST. Keep the default unless another defence (a CSRF token) is in place.',
        { code: 'JWT_GUARD_CSRF_DISABLED' },
      );
    }
    return undefined;
  }
  const policy = checkCsrfOptions(option);
  return place.kind === 'cookie' || place.kind === 'custom' ? policy : undefined;
}

function checkCsrfOptions(option: unknown): CsrfPolicy {
  // `true` says "on, with the defaults", which is what leaving it out means.
  if (option === undefined || option === true) return { trustedOrigins: [], allowSameSite: false };
  if (typeof option !== 'object' || option === null || Array.isArray(option)) {
    throw configError('csrf must be false (no CSRF defence), true (the default defence) or an object such as { trustedOrigins: ["https://app.example.com"] }; leave it out for the default.');
  }
  for (const name of Object.keys(option)) {
    if (CSRF_OPTION_NAMES.includes(name)) continue;
    const close = closestName(name, CSRF_OPTION_NAMES);
    throw configError(`unknown option "csrf.${name}"${close === undefined ? `; csrf takes ${CSRF_OPTION_NAMES.join(', ')}.` : `; did you mean "csrf.${close}"?`}`);
  }
  const { trustedOrigins = [], allowSameSite = false, token } = option as CsrfOptions;
  if (typeof allowSameSite !== 'boolean') throw configError('csrf.allowSameSite must be true or false.');
  if (!Array.isArray(trustedOrigins)) throw configError('csrf.trustedOrigins must be an array of origins such as ["https://app.example.com"].');
  for (const origin of trustedOrigins as unknown[]) checkOrigin(origin);
  return { trustedOrigins: Object.freeze([...(trustedOrigins as string[])]), allowSameSite, token: csrfTokenPolicyOf(token) };
}

/** An origin is compared as an exact string, so it must be written exactly as a browser sends it. */
function checkOrigin(origin: unknown): void {
  const shown = JSON.stringify(origin) ?? String(origin);
  if (typeof origin !== 'string') throw configError(`csrf.trustedOrigins holds ${shown}, not a string; write origins such as "https://app.example.com".`);
  let parsed: string | undefined;
  try {
    parsed = new URL(origin).origin;
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || parsed === 'null') {
    throw configError(`csrf.trustedOrigins holds ${shown}, which is not an origin: write "scheme://host[:port]", such as "https://app.example.com" (no wildcard, no "null").`);
  }
  if (parsed !== origin) {
    throw configError(`csrf.trustedOrigins holds ${shown}: origins are compared exactly, without path, query or default port; write it as ${JSON.stringify(parsed)}.`);
  }
}

const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/** GET, HEAD and OPTIONS change nothing, so a cross-site one cannot forge an action. */
export function isSafeMethod(method: string): boolean {
  return SAFE_METHODS.has(method) || SAFE_METHODS.has(method.toUpperCase());
}

/** Whether the check applies: an unsafe method, and a token read from a cookie (a custom getter's token equal to a cookie's value). */
export function needsCsrfCheck(request: GuardRequest, place: TokenPlace, token: string): boolean {
  if (isSafeMethod(request.method)) return false;
  return place.kind === 'cookie' || cookieHolds(request.headers.cookie, token);
}

function bounded(value: string): string {
  return value.length > MAX_HEADER_VALUE ? `${value.slice(0, MAX_HEADER_VALUE)}…` : value;
}

/**
 * The decision for an unsafe request with a cookie token: undefined to let it through, or why it
 * is refused. Fetch Metadata first (a single known value decides); without it, `Origin` must be
 * exactly one of the trusted origins; with neither, the request is refused.
 */
export function csrfRefusal(request: GuardRequest, policy: CsrfPolicy): CsrfFacts | undefined {
  const site = request.headers['sec-fetch-site'];
  if (site === 'same-origin' || (site === 'same-site' && policy.allowSameSite)) return undefined;
  // A sibling subdomain is another site unless trusted; `none` (no page made it) is for safe methods only.
  if (site === 'cross-site' || site === 'same-site' || site === 'none') {
    return { method: request.method, header: 'Sec-Fetch-Site', value: site, trustedOrigins: policy.trustedOrigins };
  }
  // Absent, repeated (an array, or values joined by commas) or unknown: ignored, never trusted.
  const ignoredSecFetchSite = site === undefined ? undefined : bounded(Array.isArray(site) ? site.join(', ') : site);
  const origin = request.headers.origin;
  if (typeof origin === 'string') {
    if (origin !== 'null' && policy.trustedOrigins.includes(origin.toLowerCase())) return undefined;
    return { method: request.method, header: 'Origin', value: bounded(origin), ignoredSecFetchSite, trustedOrigins: policy.trustedOrigins };
  }
  return { method: request.method, header: origin === undefined ? undefined : 'Origin', value: origin === undefined ? undefined : bounded(origin.join(', ')), ignoredSecFetchSite, trustedOrigins: policy.trustedOrigins };
}

/**
 * A `Vary` value with `value`'s fields added to `existing`'s (compared without case, no duplicates;
 * `*` stays `*`), for adapters whose framework has no `vary` helper.
 */
export function appendVary(existing: string | number | readonly string[] | undefined, value: string): string {
  const fields = (existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)])
    .flatMap((part: string) => part.split(','))
    .map((field) => field.trim())
    .filter((field) => field !== '');
  if (fields.includes('*')) return '*';
  const seen = new Set(fields.map((field) => field.toLowerCase()));
  for (const field of value.split(',').map((part) => part.trim())) {
    if (field === '' || seen.has(field.toLowerCase())) continue;
    seen.add(field.toLowerCase());
    fields.push(field);
  }
  return fields.join(', ');
}

/**
 * The policy for endpoints that read a cookie by design (the session's login, refresh and logout):
 * `option` means what the guard's `csrf` does (`false` is off, and reported once).
 */
export function csrfPolicy(option: boolean | CsrfOptions | undefined): CsrfPolicy | undefined {
  return csrfPolicyOf(option, { kind: 'custom' });
}

/**
 * The Fetch Metadata / Origin decision for one request: undefined to let it through, else the 403
 * refusal (hint and `Vary` set). `policy.token` is not checked here: it needs a verified payload,
 * which only the guard has.
 */
export function checkCsrf(request: GuardRequest, policy: CsrfPolicy): JwtGuardError | undefined {
  if (isSafeMethod(request.method)) return undefined;
  const facts = csrfRefusal(request, policy);
  if (facts === undefined) return undefined;
  const hint = explainRefusal('csrf_check_failed', { csrf: facts });
  return new JwtGuardError('csrf_check_failed', 'The request was refused as a possible cross-site request forgery.', { hint, vary: CSRF_VARY });
}
