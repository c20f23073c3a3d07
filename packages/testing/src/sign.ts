import { randomUUID } from 'node:crypto';
import { CompactSign, type CompactJWSHeaderParameters, type KeyInput } from 'jose';
import type { TestKeys } from './keys.js';
import { spanToSeconds, toUnixSeconds } from './time.js';

/** How {@link mintToken} fills the registered claims and the header. */
export interface MintOptions {
  /** The `iss` claim. */
  issuer?: string;
  /** The `aud` claim. */
  audience?: string | string[];
  /** The `sub` claim. */
  subject?: string;
  /**
   * `exp`, relative to `now`: seconds (negative = already past) or `'5m'`-style (`'-1h'`, `'2 hours ago'`).
   * Default `'5m'`; `null` = no `exp` claim.
   */
  expiresIn?: number | string | null;
  /** The `iat` claim, in Unix seconds; default now; `null` = no `iat` claim. */
  issuedAt?: number | null;
  /** `nbf`, relative to `now` like `expiresIn`: seconds or `'5m'`-style. Default: no `nbf` claim. */
  notBefore?: number | string;
  /** The `jti` claim; default a random UUID; `null` = no `jti` claim. */
  jti?: string | null;
  /** Scopes, written as one space-delimited `scope` claim. */
  scope?: string | string[];
  /** header overrides/extra params, e.g. { typ: 'at+jwt' }, kid: null removes kid */
  header?: Record<string, unknown>;
  /** the clock to use, default Date.now() */
  now?: Date;
}

/**
 * Signs a JWT with `keys` (secret for HS*, private key otherwise) and `keys.algorithm`.
 *
 * The header is `{ alg, typ: 'JWT', kid: keys.kid }` merged with `options.header`; a header
 * member set to `null` there is removed (`{ kid: null }` for a token without `kid`).
 * The payload is the registered claims built from `options` (`iat` and a random `jti` always,
 * `exp` 5 minutes ahead unless told otherwise) with `claims` spread over them: a claim given in
 * `claims` wins, and one set to `undefined` there is left out. Claim values are not validated, so
 * malformed tokens (`{ exp: 'soon' }`) can be minted on purpose.
 *
 * @example
 * ```ts
 * const token = await mintToken(keys, { role: 'admin' }, { issuer, audience, subject: 'user-1', expiresIn: '1h' });
 * ```
 */
export async function mintToken(keys: TestKeys, claims: Record<string, unknown> = {}, options: MintOptions = {}): Promise<string> {
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
    throw new TypeError('mintToken: claims must be a plain object.');
  }
  const payload = { ...registeredClaims(options), ...claims };
  const header = buildHeader(keys, options.header);
  const jws = new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader(header);
  return jws.sign(signingKey(keys));
}

function registeredClaims(options: MintOptions): Record<string, unknown> {
  const now = toUnixSeconds(options.now ?? new Date());
  const claims: Record<string, unknown> = {};
  if (options.issuer !== undefined) claims.iss = options.issuer;
  if (options.subject !== undefined) claims.sub = options.subject;
  if (options.audience !== undefined) claims.aud = Array.isArray(options.audience) ? [...options.audience] : options.audience;
  if (options.issuedAt !== null) claims.iat = options.issuedAt ?? now;
  if (options.notBefore !== undefined) claims.nbf = now + spanToSeconds(options.notBefore, 'notBefore');
  if (options.expiresIn !== null) claims.exp = now + spanToSeconds(options.expiresIn ?? '5m', 'expiresIn');
  if (options.jti !== null) claims.jti = options.jti ?? randomUUID();
  if (options.scope !== undefined) claims.scope = typeof options.scope === 'string' ? options.scope : options.scope.join(' ');
  return claims;
}

function buildHeader(keys: TestKeys, overrides: Record<string, unknown> | undefined): CompactJWSHeaderParameters {
  const merged: Record<string, unknown> = { alg: keys.algorithm, typ: 'JWT', kid: keys.kid, ...overrides };
  for (const [name, value] of Object.entries(merged)) {
    if (value === null || value === undefined) delete merged[name];
  }
  if (typeof merged.alg !== 'string') throw new TypeError('mintToken: the header needs an "alg" string.');
  return merged as CompactJWSHeaderParameters;
}

function signingKey(keys: TestKeys): KeyInput {
  const key = keys.secret ?? keys.privateKey;
  if (key === undefined) {
    throw new TypeError(`mintToken: keys "${keys.kid}" hold neither a secret nor a private key, so they cannot sign.`);
  }
  return key;
}
