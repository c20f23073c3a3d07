import type { KeyObject, webcrypto } from 'node:crypto';
import type { KeyEvent } from './keys/key-events.js';
import type { RevocationOptions } from './revocation/store.js';

/**
 * JWT claims (RFC 7519 §4.1). Our own declaration, structurally the same as jose's, so that our
 * published types never import from jose (ESM-only, which CJS type resolution cannot follow).
 */
export interface JWTPayload {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  jti?: string;
  nbf?: number;
  exp?: number;
  iat?: number;
  [claim: string]: unknown;
}

/** A JSON Web Key (RFC 7517); members are checked when the key is imported. */
export interface JWK {
  kty?: string;
  kid?: string;
  alg?: string;
  use?: string;
  key_ops?: string[];
  crv?: string;
  x?: string;
  y?: string;
  n?: string;
  e?: string;
  k?: string;
  [member: string]: unknown;
}

/** The token's JOSE header (RFC 7515 §4), as verified. */
export interface TokenHeader {
  alg?: string;
  kid?: string;
  typ?: string;
  cty?: string;
  crit?: string[];
  b64?: boolean;
  [parameter: string]: unknown;
}

/** The algorithms jwt-guard verifies. `none` is not one of them, whatever the options say. */
export type Algorithm =
  | 'HS256'
  | 'HS384'
  | 'HS512'
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'EdDSA'
  | 'Ed25519';

/** A duration in seconds, or a string such as `'30s'`, `'5m'`, `'2h'`, `'1d'`. */
export type Duration = number | string;

/** An HMAC secret: a string (its UTF-8 bytes are the key) or raw bytes. */
export type SecretInput = string | Uint8Array;

/** A public key: PEM (string or Buffer), a JWK, a node `KeyObject` or a WebCrypto `CryptoKey`. */
export type PublicKeyInput = string | Uint8Array | JWK | KeyObject | webcrypto.CryptoKey;

/** A JSON Web Key Set (RFC 7517 §5). */
export interface JsonWebKeySet {
  keys: JWK[];
}

/** What `getKey` may return for a token: any key form accepted elsewhere, or several of them. */
export type ResolvedKey = SecretInput | PublicKeyInput;

/** Resolves the key(s) for a token, e.g. from a secret manager. Runs only for well-formed tokens. */
export type GetKey = (
  header: TokenHeader,
  token: string,
) => Promise<ResolvedKey | readonly ResolvedKey[] | undefined> | ResolvedKey | readonly ResolvedKey[] | undefined;

/** Where scopes live: a claim name, or a function that reads them from the payload. */
export type ScopeClaim = string | ((payload: JWTPayload) => Iterable<string> | string | undefined);

/** The key source: exactly one of these must be given. */
export interface KeySourceOptions {
  /** HMAC secret(s). An array of `{ kid, secret }` rotates secrets, selected by the token's `kid`. */
  secret?: SecretInput | ReadonlyArray<{ kid?: string; secret: SecretInput }>;
  /** Public key(s) for RS*, PS*, ES* or EdDSA. An array rotates keys; a JWK's `kid` selects it. */
  publicKey?: PublicKeyInput | readonly PublicKeyInput[];
  /** A JWK Set. `oct` members are HMAC secrets; a set must not mix secrets and public keys. */
  jwks?: JsonWebKeySet;
  /** A JWKS URL. Fetched, cached, and refetched (at most once per cooldown) on an unknown `kid`. */
  jwksUri?: string | URL;
  /** An async key resolver, for secret managers. Requires `algorithms`. */
  getKey?: GetKey;
  /**
   * How long a `getKey` result is reused for tokens with the same `iss`, `kid` and `alg`, so a
   * secret manager is asked once per key, not once per request. Failures are never cached. Default `'5m'`; 0 disables.
   */
  getKeyCacheTtl?: Duration;
  /**
   * How long one `getKey` call may take. A call still unanswered by then is dropped (a late answer is
   * ignored): its requests get `503 key_source_unavailable`, the next request asks again. Default `'5s'`.
   */
  getKeyTimeout?: Duration;
  /**
   * The token chooses the `kid` (and `iss`) it is looked up by, so random ones must not each cost a
   * `getKey` call: within each `getKeyCooldown`, at most 10 lookups of (`iss`, `kid`, `alg`) that never
   * resolved to a key are made; further such tokens are `401 key_not_found` at once. Lookups of triples
   * that resolved before are never held back, and a "no key" answer is remembered for 30 s (or
   * `getKeyCacheTtl` if shorter). Default `'30s'`; 0 removes the limit.
   */
  getKeyCooldown?: Duration;
  /**
   * Find the JWKS URL in the issuer's metadata: `<issuer>/.well-known/openid-configuration`, else
   * the RFC 8414 `oauth-authorization-server` document. The document's `issuer` must equal `issuer`.
   */
  discovery?: boolean;
}

export interface VerifierOptions extends KeySourceOptions {
  /**
   * Allowed `alg` values. When omitted, inferred only where the keys leave no doubt: HS256 for
   * secrets, ES256/ES384/ES512 by curve, EdDSA for OKP keys, the JWK `alg` where present, and RS256
   * for RSA keys without one. HMAC and asymmetric algorithms never mix; `none` is never allowed.
   */
  algorithms?: readonly Algorithm[];
  /** Expected `iss`. Required: pass `false` to skip the check explicitly (not recommended). */
  issuer?: string | readonly string[] | false;
  /** Expected `aud` (any one of them must match). Required: pass `false` to skip explicitly. */
  audience?: string | readonly string[] | false;
  /** Allowed clock skew for `exp`, `nbf` and `iat`. Default 0. */
  clockTolerance?: Duration;
  /** Refuse tokens whose `iat` is older than this. Makes `iat` required. */
  maxTokenAge?: Duration;
  /** Claims that must be present, in addition to `exp`. */
  requiredClaims?: readonly string[];
  /** `exp` is required by default; set `false` only for tokens that truly never expire. */
  requireExp?: boolean;
  /** Expected `typ` header, e.g. `'at+jwt'` for RFC 9068 access tokens. */
  typ?: string;
  /** The current time, for deterministic tests. */
  currentDate?: Date | (() => Date);
  /** Where scopes live. Default: `scope` (space-delimited), `scp` (string or array), `permissions` (array). */
  scopeClaim?: ScopeClaim;
  /** Tokens longer than this (in characters) are refused before any parsing. Default 8192. */
  maxTokenLength?: number;
  /** Longest time fetched JWKS keys are used before a refresh; the lifetime when the response has no `Cache-Control: max-age`. Default `'10m'`. */
  jwksCacheMaxAge?: Duration;
  /** Shortest lifetime, whatever `Cache-Control` says (`max-age=0` must not mean a fetch per request). Default `'1m'`. */
  jwksCacheMinAge?: Duration;
  /** Minimum time between two JWKS refetches caused by an unknown `kid`. Default `'30s'`. */
  jwksCooldown?: Duration;
  /** Timeout of one JWKS or discovery fetch. Default `'5s'`. */
  jwksTimeout?: Duration;
  /** Largest JWKS or discovery response accepted, in bytes. Default 512 KiB. */
  jwksMaxBytes?: number;
  /** While the JWKS endpoint fails, keep verifying with expired keys for this long. Default `'1h'`. */
  jwksStaleIfError?: Duration;
  /** Fetch remote keys as soon as the verifier is created, rather than on the first request. Default false. */
  warmUp?: boolean;
  /**
   * Key source events (fetched, failed, stale keys served, unknown kid, issuer mismatch), for metrics and alerts.
   * URLs in events are redacted (no user info, query values replaced by `redacted`). The listener may
   * be `async`; one that throws or whose promise rejects is ignored, never an unhandled rejection.
   */
  onKeyEvent?: (event: KeyEvent) => void;
  /**
   * DANGEROUS. Accept plain `http:` key URLs (`jwksUri`, the `discovery` issuer, a discovered
   * `jwks_uri`) off the loopback interface. Without TLS, anyone on the network path can serve their
   * own keys and mint tokens you accept. By default http is refused at start-up (a discovered http
   * `jwks_uri`: when discovered) except for localhost, 127.0.0.0/8 and [::1]. Default false.
   */
  allowInsecureHttpKeys?: boolean;
  /**
   * Several trusted issuers (tenants), each with its own key source and, optionally, its own
   * `audience`, `algorithms`, `typ`; the other options are shared. The token's `iss` picks one —
   * only from this list: keys are never fetched for an issuer that is not configured.
   */
  issuers?: readonly IssuerOptions[];
  /**
   * How signatures are checked. `'node'` (default): `node:crypto` directly on the imported keys, at
   * the cost of the primitive. `'webcrypto'`: through jose and WebCrypto, as on other runtimes. Both
   * give the same verdict on every test vector (a differential test runs them side by side).
   */
  cryptoBackend?: 'node' | 'webcrypto';
  /**
   * Verified tokens are remembered (a bounded LRU keyed by the whole token, admitted on their second
   * use) so that a client reusing its access token costs a lookup, not a signature check. `exp`, `nbf`, the other claim rules and
   * revocation are still checked on every hit; a refused token is never cached; a verdict is dropped
   * when its key leaves the key set. Default `{ maxEntries: 10000 }`; `false` turns it off.
   */
  tokenCache?: false | { maxEntries?: number };
  /** Check a denylist after signature and claims: revoked tokens are refused with `token_revoked`. */
  revocation?: RevocationOptions;
}

/** One trusted issuer of a multi-issuer verifier. */
export interface IssuerOptions extends KeySourceOptions {
  issuer: string;
  audience?: string | readonly string[] | false;
  algorithms?: readonly Algorithm[];
  typ?: string;
}

/**
 * The claims your tokens carry, declared once for the whole app by declaration merging:
 * `declare module '@jwt-guard/core' { interface JwtGuardClaims { tenant: string } }`.
 * Every `AuthContext` — and so `req.auth`, `ctx.state.auth`, `request.auth` — is then typed with them.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface JwtGuardClaims extends JWTPayload {}

/** The result of a successful verification. */
export interface AuthContext<Claims extends JWTPayload = JwtGuardClaims> {
  /** The token as received. Yours to use; jwt-guard never logs it. */
  readonly token: string;
  readonly header: TokenHeader;
  readonly payload: Claims;
  readonly scopes: ReadonlySet<string>;
}

export interface Verifier<Claims extends JWTPayload = JwtGuardClaims> {
  /** Verifies a compact JWS. Resolves with the verified claims; rejects with a `JwtGuardError`. */
  verify: (token: string) => Promise<AuthContext<Claims>>;
  /**
   * The same verification without a promise when nothing has to wait: returns the verified
   * context, throws a `JwtGuardError`, or — only when a key must be fetched or the revocation store
   * answers asynchronously — returns a promise. For hot paths such as the adapters; `verify` is
   * this, always wrapped in a promise.
   */
  verifyNow: (token: string) => AuthContext<Claims> | Promise<AuthContext<Claims>>;
  /** The algorithms this verifier accepts, after inference (for several issuers: all of theirs). */
  readonly algorithms: readonly Algorithm[];
  /**
   * Resolves once remote keys are fetched and usable (immediately for keys given in the options);
   * rejects with `key_source_unavailable` otherwise, its message naming the cause for the operator
   * ("The token signing keys could not be loaded: the discovery document names the issuer …"): a
   * redacted URL, an HTTP status, an issuer. For start-up, readiness probes and logs; a probe should
   * answer its own status rather than echo the message to the public.
   */
  ready: () => Promise<void>;
}
