import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import {
  checkOptionNames,
  configError,
  checkCsrfFieldName,
  csrfTokenSigner,
  durationToSeconds,
  fromCookie,
  memoryRevocationStore,
  type Duration,
  type GuardOptions,
  type RevocationStore,
  type SecretInput,
} from '@jwt-guard/core';
import { SessionError } from './errors.js';
import { memorySessionStore } from './memory-store.js';
import { includesHash, newFamilyId, newRefreshToken, parseRefreshToken, randomId, hashSecret } from './refresh-token.js';
import { sessionCookies, type SessionCookiesOptions } from './session-cookies.js';
import { importSigningKey, type SigningKeyOptions } from './signing-key.js';
import type { SessionFamily, SessionStore } from './store.js';

export interface SessionsOptions extends SigningKeyOptions {
  /** `iss` of the access tokens, and what the guard expects. */
  issuer: string;
  /** `aud` of the access tokens, and what the guard expects. */
  audience: string | string[];
  /** Default `'5m'`; at most `'1h'` (a stolen access token is not revoked by a refresh). */
  accessTokenLifetime?: Duration;
  /** How long a rotated refresh token is still accepted (racing tabs, a lost response). Default `'2s'`, at most `'1m'`. */
  refreshReuseInterval?: Duration;
  /** Absolute lifetime of a login's family of refresh tokens. Default `'30d'`. */
  familyLifetime?: Duration;
  /** A family not refreshed for this long is dead. Default `'7d'`, at most `familyLifetime`. */
  familyIdleTimeout?: Duration;
  /** Where families live. Default `memorySessionStore()` (one process). */
  store?: SessionStore;
  /** The denylist the guard checks (the same store): reuse and logout revoke through it. Default `memoryRevocationStore()`. */
  revocation?: RevocationStore;
  cookies?: SessionCookiesOptions;
  /**
   * Issue a signed CSRF token bound to the session (`createCsrfToken(secret, sid)`): login and
   * refresh return it (`csrfToken`, in the endpoints' JSON too), and `guardOptions()` makes the
   * guard require it in `x-csrf-token` on unsafe requests. A secret (≥ 32 bytes, not the signing
   * secret) is needed when several instances share sessions; `true` makes a random one for this
   * process only. Default: none (the guard's Fetch Metadata check alone).
   */
  csrfToken?: boolean | SecretInput;
  /**
   * With `csrfToken`: the guard also takes the token from this form field (e.g. `'_csrf'`, a hidden
   * input of an HTML form) when the header is absent; the guard's `csrf.token.fieldName`, whose
   * body-parser needs apply. Default: none (header only).
   */
  csrfTokenField?: string;
  /** The clock (Unix ms), for tests; `guardOptions()` then gives the guard the same clock. */
  now?: () => number;
}

export interface LoginInput {
  /** The user: `sub` of the access tokens; `logoutEverywhere(subject)` ends all of its sessions. */
  subject: string;
  /** Put in the access tokens' `scope` claim, space-separated. */
  scopes?: readonly string[];
  /** App claims for every access token of the session (JSON values). Registered claims are refused. */
  claims?: Record<string, unknown>;
}

export interface IssuedTokens {
  /** The session's user (`sub`). */
  subject: string;
  /** The access token's scopes. */
  scopes: string[];
  accessToken: string;
  /** Opaque: `<family id>.<256-bit secret>`. Never log it. */
  refreshToken: string;
  /** `Set-Cookie` header values: the access cookie, then the refresh cookie. */
  setCookies: string[];
  /** When the access token expires. */
  expiresAt: Date;
  /** When the refresh token stops working if unused (idle timeout, never past the family's end). */
  refreshExpiresAt: Date;
  /** With `csrfToken`: the session's CSRF token, the same for its whole life, for the page to send in `x-csrf-token`. */
  csrfToken?: string;
}

export interface Sessions {
  /** Options for `jwtGuard()` / `createGuard()` that verify exactly what this issues: key, iss, aud, alg, typ, cookie, revocation. */
  guardOptions(): GuardOptions;
  login(input: LoginInput): Promise<IssuedTokens>;
  /** Rotates: a new refresh token each time. Throws a `SessionError`. */
  refresh(refreshToken: string | undefined): Promise<IssuedTokens>;
  /** Ends this session (its family and live access tokens). Never throws for an unknown token: the cookies are cleared anyway. */
  logout(refreshToken: string | undefined): Promise<{ setCookies: string[] }>;
  /** Ends every session of `subject`, and every access token issued to it until now. */
  logoutEverywhere(subject: string): Promise<{ setCookies: string[] }>;
  /** The names of the two cookies, e.g. for the endpoints that read the refresh cookie. */
  readonly cookieNames: { readonly access: string; readonly refresh: string };
  /** The store, e.g. to inspect or share it. */
  readonly store: SessionStore;
  readonly revocation: RevocationStore;
}

const OPTION_NAMES: readonly (keyof SessionsOptions)[] = [
  'secret', 'privateKey', 'algorithm', 'kid', 'issuer', 'audience', 'accessTokenLifetime', 'refreshReuseInterval',
  'familyLifetime', 'familyIdleTimeout', 'store', 'revocation', 'cookies', 'csrfToken', 'csrfTokenField', 'now',
];
const REGISTERED_CLAIMS = new Set(['iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'jti', 'sid', 'scope']);
/** Successors of one rotated token alive at once (tabs racing within the reuse interval). */
const MAX_CURRENT = 8;
/** Live access tokens remembered per family for logout; clients normally hold one or two. */
const MAX_LIVE_ACCESS_TOKENS = 32;
const MAX_ACCESS_LIFETIME = 3600;
const MAX_REUSE_INTERVAL = 60;

export function createSessions(options: SessionsOptions): Sessions {
  if (typeof options !== 'object' || options === null) throw configError('createSessions(options) needs an options object.');
  checkOptionNames(options, OPTION_NAMES);
  const { issuer, audience } = options;
  if (typeof issuer !== 'string' || issuer === '') throw configError('createSessions needs `issuer`: the iss of the access tokens.');
  const audiences = typeof audience === 'string' ? [audience] : audience;
  if (!Array.isArray(audiences) || audiences.length === 0 || !audiences.every((entry) => typeof entry === 'string' && entry !== '')) {
    throw configError('createSessions needs `audience`: the aud of the access tokens (a string or strings).');
  }
  const signing = importSigningKey(options);
  const accessLifetime = durationToSeconds(options.accessTokenLifetime ?? '5m', 'accessTokenLifetime');
  if (!(accessLifetime > 0 && accessLifetime <= MAX_ACCESS_LIFETIME)) {
    throw configError(`accessTokenLifetime must be more than 0 and at most 1h (${MAX_ACCESS_LIFETIME} s): an access token is not revoked by a refresh, so it is kept short; sessions last through refresh tokens.`);
  }
  const reuseInterval = durationToSeconds(options.refreshReuseInterval ?? '2s', 'refreshReuseInterval') * 1000;
  if (reuseInterval > MAX_REUSE_INTERVAL * 1000) throw configError('refreshReuseInterval must be at most 1m: it is how long a stolen, already rotated refresh token still works.');
  const familyLifetime = durationToSeconds(options.familyLifetime ?? '30d', 'familyLifetime') * 1000;
  const idleTimeout = durationToSeconds(options.familyIdleTimeout ?? '7d', 'familyIdleTimeout') * 1000;
  if (!(familyLifetime > accessLifetime * 1000)) throw configError('familyLifetime must be longer than accessTokenLifetime.');
  if (!(idleTimeout > 0 && idleTimeout <= familyLifetime)) throw configError('familyIdleTimeout must be more than 0 and at most familyLifetime.');
  const now = options.now ?? Date.now;
  const store = options.store ?? memorySessionStore({ now });
  const revocation = options.revocation ?? memoryRevocationStore({ now });
  if (revocation.maxTokenLifetime !== undefined && revocation.maxTokenLifetime < accessLifetime) {
    throw configError(`the revocation store keeps a subject revocation for maxTokenLifetime (${revocation.maxTokenLifetime} s), less than accessTokenLifetime (${accessLifetime} s): raise it, or the guard refuses these tokens.`);
  }
  const cookies = sessionCookies(options.cookies);
  const typ = 'at+jwt';
  const csrfSecret = csrfSecretOf(options.csrfToken);
  // Imported and checked once, here: every login and refresh signs a token with it.
  const signCsrfToken = csrfSecret === undefined ? undefined : csrfTokenSigner(csrfSecret);
  if (options.csrfTokenField !== undefined && csrfSecret === undefined) {
    throw configError('csrfTokenField needs csrfToken: without a CSRF token there is no field to read.');
  }
  const csrfTokenField = checkCsrfFieldName(options.csrfTokenField, 'csrfTokenField');

  /** A session or revocation store call; a throw or rejection is the store's failure, never a crash. */
  async function inStore<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (cause) {
      throw new SessionError('session_store_unavailable', { hint: `could not ${what}: the store threw or rejected (see cause)`, cause });
    }
  }

  async function issue(family: SessionFamily, refreshToken: string, time: number): Promise<{ tokens: IssuedTokens; jti: string; exp: number }> {
    const iat = Math.floor(time / 1000);
    // A rotated token never outlives its family, nor does an access token.
    const exp = Math.min(iat + accessLifetime, Math.floor(family.expiresAt / 1000));
    const jti = randomId();
    const payload: Record<string, unknown> = { ...family.claims, sid: family.sid };
    if (family.scopes.length > 0) payload.scope = family.scopes.join(' ');
    const accessToken = await new SignJWT(payload)
      .setProtectedHeader(signing.kid === undefined ? { alg: signing.alg, typ } : { alg: signing.alg, typ, kid: signing.kid })
      .setIssuer(issuer)
      .setAudience(audiences.length === 1 ? (audiences[0] as string) : audiences)
      .setSubject(family.subject)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(jti)
      .sign(await signing.key());
    const refreshMaxAge = Math.max(0, Math.floor((family.idleExpiresAt - time) / 1000));
    // The access cookie outlives its token, until the session could refresh: an expired token is still
    // sent, so the guard answers `401 token_expired` (the page's cue to refresh), not `token_missing`.
    const tokens: IssuedTokens = {
      subject: family.subject,
      scopes: [...family.scopes],
      accessToken,
      refreshToken,
      setCookies: [cookies.access(accessToken, refreshMaxAge), cookies.refresh(refreshToken, refreshMaxAge)],
      expiresAt: new Date(exp * 1000),
      refreshExpiresAt: new Date(family.idleExpiresAt),
    };
    if (signCsrfToken !== undefined) tokens.csrfToken = signCsrfToken(family.sid);
    return { tokens, jti, exp };
  }

  /** The family after one more access token: expired ones forgotten, the oldest dropped beyond the cap. */
  function withAccessToken(family: SessionFamily, jti: string, exp: number, time: number): SessionFamily['accessTokens'] {
    const live = family.accessTokens.filter((entry) => entry.exp * 1000 > time);
    live.push({ jti, exp });
    return live.slice(-MAX_LIVE_ACCESS_TOKENS);
  }

  /** Revokes a subject's access tokens issued up to now: `iat` has whole seconds, so this second is included. */
  async function revokeAccessTokensOf(subject: string, time: number, why: string): Promise<void> {
    await inStore(`revoke the subject's access tokens in the revocation store (${why})`, () => revocation.revokeSubject(subject, Math.floor(time / 1000) + 1));
  }

  async function login(input: LoginInput): Promise<IssuedTokens> {
    const { subject, scopes = [], claims = {} } = checkLoginInput(input);
    const time = now();
    const familyId = newFamilyId();
    const first = newRefreshToken(familyId);
    const expiresAt = time + familyLifetime;
    const family: SessionFamily = {
      familyId,
      sid: randomId(),
      subject,
      scopes: [...scopes],
      claims: { ...claims },
      createdAt: time,
      lastUsedAt: time,
      expiresAt,
      idleExpiresAt: Math.min(expiresAt, time + idleTimeout),
      current: [first.hash],
      accessTokens: [],
      revoked: false,
      version: 1,
    };
    const { tokens, jti, exp } = await issue(family, first.token, time);
    family.accessTokens = withAccessToken(family, jti, exp, time);
    await inStore('create a family in the session store', () => store.create(family));
    return tokens;
  }

  async function refresh(refreshToken: string | undefined): Promise<IssuedTokens> {
    if (refreshToken === undefined || refreshToken === '') throw new SessionError('refresh_token_missing');
    const parsed = parseRefreshToken(refreshToken);
    if (parsed === undefined) throw new SessionError('refresh_token_invalid', { hint: 'not a refresh token of this server (malformed)' });
    const hash = hashSecret(parsed.secret);
    // Compare-and-set: a refresh that loses a race reads the new state and decides again, once.
    for (let attempt = 0; attempt < 2; attempt++) {
      const time = now();
      const family = await liveFamily(parsed.familyId, time);
      const next: SessionFamily = { ...family, lastUsedAt: time, idleExpiresAt: Math.min(family.expiresAt, time + idleTimeout), version: family.version + 1 };
      const successor = newRefreshToken(family.familyId);
      if (includesHash(family.current, hash)) {
        next.previous = { hashes: family.current, retiresAt: time + reuseInterval };
        next.current = [successor.hash];
      } else if (family.previous !== undefined && time <= family.previous.retiresAt && includesHash(family.previous.hashes, hash)) {
        // A second tab, or a retry after a lost response, within the reuse interval: one more live successor.
        if (family.current.length >= MAX_CURRENT) {
          throw new SessionError('refresh_token_invalid', { hint: `more than ${MAX_CURRENT} refreshes of one rotated token within the reuse interval` });
        }
        next.current = [...family.current, successor.hash];
      } else {
        if (await revokeFamily(family, time)) {
          await revokeAccessTokensOf(family.subject, time, 'refresh-token reuse: the family is already revoked');
          throw new SessionError('refresh_token_reused', {
            hint: 'a rotated (or forged) refresh token of a live family was presented after the reuse interval: the family and the subject\'s access tokens are revoked',
          });
        }
        continue;
      }
      const issued = await issue(next, successor.token, time);
      next.accessTokens = withAccessToken(family, issued.jti, issued.exp, time);
      if (await inStore('update a family in the session store', () => store.update(family.familyId, family.version, next))) return issued.tokens;
    }
    throw new SessionError('session_store_unavailable', { hint: 'the family kept changing under concurrent refreshes (compare-and-set lost twice)' });
  }

  /** The family, or the error that says why there is none to refresh. */
  async function liveFamily(familyId: string, time: number): Promise<SessionFamily> {
    const family = await inStore('read a family from the session store', () => store.get(familyId));
    if (family === undefined) throw new SessionError('refresh_token_invalid', { hint: 'no such family (never issued, logged out long ago, or purged)' });
    const expired = (hint: string) => new SessionError('session_expired', { hint });
    if (family.revoked) throw expired('the family was revoked (logout, or refresh-token reuse)');
    if (time >= family.expiresAt) throw expired('the family is past its absolute lifetime (familyLifetime)');
    if (time >= family.idleExpiresAt) throw expired('the family was not refreshed within familyIdleTimeout');
    const cutoff = await inStore('read a subject cutoff from the session store', () => store.subjectCutoff(family.subject));
    if (cutoff !== undefined && family.createdAt <= cutoff) throw expired('the subject was logged out everywhere after this login');
    return family;
  }

  /** Marks the family revoked; false when it changed meanwhile (the caller decides again). */
  async function revokeFamily(family: SessionFamily, time: number): Promise<boolean> {
    const revoked: SessionFamily = { ...family, revoked: true, lastUsedAt: time, version: family.version + 1 };
    return inStore('revoke a family in the session store', () => store.update(family.familyId, family.version, revoked));
  }

  async function logout(refreshToken: string | undefined): Promise<{ setCookies: string[] }> {
    const parsed = parseRefreshToken(refreshToken);
    if (parsed !== undefined) {
      const hash = hashSecret(parsed.secret);
      for (let attempt = 0; attempt < 2; attempt++) {
        const time = now();
        const family = await inStore('read a family from the session store', () => store.get(parsed.familyId));
        // Only a token of the family ends it: a forged secret for a known family id does nothing.
        const known = family !== undefined && (includesHash(family.current, hash) || includesHash(family.previous?.hashes ?? [], hash));
        if (family === undefined || family.revoked || !known) break;
        if (await revokeFamily(family, time)) {
          const live = family.accessTokens.filter((entry) => entry.exp * 1000 > time);
          await inStore("revoke the session's access tokens in the revocation store (logout: the family is already revoked)", () => Promise.all(live.map((entry) => revocation.revoke(entry.jti, entry.exp))));
          break;
        }
      }
    }
    return { setCookies: cookies.clear() };
  }

  async function logoutEverywhere(subject: string): Promise<{ setCookies: string[] }> {
    if (typeof subject !== 'string' || subject === '') throw new TypeError('logoutEverywhere(subject) needs the subject (a non-empty string).');
    const time = now();
    await inStore('revoke a subject in the session store', () => store.revokeSubject(subject, time));
    await revokeAccessTokensOf(subject, time, 'logoutEverywhere');
    return { setCookies: cookies.clear() };
  }

  function guardOptions(): GuardOptions {
    const guard: GuardOptions = {
      ...signing.verification,
      algorithms: [signing.alg],
      issuer,
      audience: [...audiences],
      typ,
      getToken: fromCookie(cookies.accessName),
      revocation: { store: revocation },
    };
    // Bound to the access token's sid, the guard's default binding.
    if (csrfSecret !== undefined) guard.csrf = { token: { secret: csrfSecret, ...(csrfTokenField === undefined ? {} : { fieldName: csrfTokenField }) } };
    if (options.now !== undefined) guard.currentDate = () => new Date(now());
    return guard;
  }

  const cookieNames = { access: cookies.accessName, refresh: cookies.refreshName };
  return { guardOptions, login, refresh, logout, logoutEverywhere, cookieNames, store, revocation };
}

/** The CSRF token secret (checked by `csrfTokenSigner`, with the guard's HS256 checks), or undefined without `csrfToken`. */
function csrfSecretOf(option: SessionsOptions['csrfToken']): SecretInput | undefined {
  if (option === undefined || option === false) return undefined;
  const secret = option === true ? randomBytes(32) : option;
  if (typeof secret !== 'string' && !(secret instanceof Uint8Array)) {
    throw configError('csrfToken must be true (a random secret for this process), a secret of at least 32 bytes (shared by every instance), or false.');
  }
  return secret;
}

function checkLoginInput(input: LoginInput): LoginInput {
  if (typeof input !== 'object' || input === null) throw new TypeError('login({ subject, scopes?, claims? }) needs an object.');
  const { subject, scopes, claims } = input;
  if (typeof subject !== 'string' || subject === '') throw new TypeError('login: `subject` must be a non-empty string (the user id).');
  if (scopes !== undefined && !(Array.isArray(scopes) && scopes.every((scope) => typeof scope === 'string' && /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(scope)))) {
    throw new TypeError('login: `scopes` must be an array of scope names (RFC 6749 §3.3: no spaces, quotes or backslashes).');
  }
  if (claims !== undefined) {
    if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) throw new TypeError('login: `claims` must be an object.');
    const registered = Object.keys(claims).filter((name) => REGISTERED_CLAIMS.has(name));
    if (registered.length > 0) {
      throw new TypeError(`login: \`claims\` must not set ${registered.join(', ')}: the session sets the registered claims (${[...REGISTERED_CLAIMS].join(', ')}) itself.`);
    }
  }
  return input;
}
