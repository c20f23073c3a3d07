/**
 * The revocation types: what a store is, what the verifier's `revocation` option holds, what it
 * reports. This module imports nothing, so options.ts and check.ts both depend on it and not on
 * each other.
 */

/**
 * What the revocation check sees of a verified token. `jti` and `sub` are strings: a token's
 * numeric `jti` or `sub` (a safe integer) arrives as its decimal form, `42` as `'42'`, the form an
 * administrator revokes it by.
 */
export interface RevocationSubject {
  jti?: string | undefined;
  sub?: string | undefined;
  /** Issued-at, Unix seconds. */
  iat?: number | undefined;
  /** Expiry, Unix seconds. */
  exp?: number | undefined;
}

/**
 * `active`: not revoked. `revoked`: on the denylist. `unknown`: the store cannot answer (its
 * backend is unreachable and its local copy is too stale to trust) — the verifier then fails
 * closed (503) or open, as configured.
 */
export type RevocationStatus = 'active' | 'revoked' | 'unknown';

/**
 * A denylist of tokens. Entries are bounded in time: one lives only until the tokens it names
 * would expire anyway. `check` runs on every request that passed signature and claim checks, so
 * stores answer it from memory (synchronously where they can).
 */
export interface RevocationStore {
  /** Deny the token with this `jti` until `expiresAt` (Unix seconds), its own `exp`. */
  revoke(jti: string, expiresAt: number): Promise<void>;
  /** Deny every token of this subject issued before `issuedBefore` (Unix seconds): "log out everywhere". */
  revokeSubject(sub: string, issuedBefore: number): Promise<void>;
  check(token: RevocationSubject): RevocationStatus | Promise<RevocationStatus>;
  /**
   * Seconds a subject revocation is kept past its `issuedBefore` (the store's `maxTokenLifetime`).
   * A store that drops subject revocations must declare it: the verifier then refuses every token
   * of a subject that could outlive such a revocation — one without `iat`, or whose `exp − iat`
   * exceeds this — so that a revocation never lapses while a token it names is still valid.
   * Absent: subject revocations are kept as long as any token they name is valid.
   */
  readonly maxTokenLifetime?: number;
  /**
   * Seconds an entry is kept past the token's `exp` (and a subject revocation past `issuedBefore +
   * maxTokenLifetime`). A verifier accepts a token until `exp + clockTolerance`, so it refuses at
   * start-up a `clockTolerance` larger than this. Absent: entries are kept as long as any token they
   * name could be accepted.
   */
  readonly expiryMargin?: number;
}

export interface RevocationOptions {
  /** The denylist: `memoryRevocationStore()` for one process, `redisRevocationStore()` for many. */
  store: RevocationStore;
  /** Refuse tokens without a `jti` (which could only be revoked by subject). Default false. */
  requireJti?: boolean;
  /** When the store cannot answer: refuse with 503 (`'fail-closed'`, the default) or let tokens through (`'fail-open'`). */
  whenUnavailable?: 'fail-closed' | 'fail-open';
  /**
   * Called for each decision taken while the store could not answer, so that it is logged either way.
   * It cannot change the decision: a throw, or the rejection of an `async` hook, is caught and ignored.
   */
  onUnavailable?: (event: RevocationUnavailableEvent) => void | Promise<unknown>;
}

export interface RevocationUnavailableEvent {
  decision: 'fail-closed' | 'fail-open';
  jti: string | undefined;
  sub: string | undefined;
}
