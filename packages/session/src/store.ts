/**
 * One refresh-token family: what a login starts and every rotation carries on. Times are Unix
 * milliseconds. Stores keep it as given (a copy, as JSON would: it holds only JSON values).
 */
export interface SessionFamily {
  /** The store key: the first half of every refresh token of the family. */
  familyId: string;
  /** The session id put in every access token (`sid`); not the family id, so an access token does not name the store key. */
  sid: string;
  subject: string;
  scopes: string[];
  /** App claims put in every access token. */
  claims: Record<string, unknown>;
  createdAt: number;
  lastUsedAt: number;
  /** Absolute end of the family (login + `familyLifetime`); never moved. */
  expiresAt: number;
  /** `lastUsedAt + familyIdleTimeout`, at most `expiresAt`: a store may drop the record after it. */
  idleExpiresAt: number;
  /** SHA-256 (base64url) of the refresh tokens that rotate; at most 8 (racing tabs). */
  current: string[];
  /** The tokens the last rotation replaced, accepted until `retiresAt` (the reuse interval). */
  previous?: { hashes: string[]; retiresAt: number };
  /** Access tokens issued and not yet expired (`exp`: Unix seconds), revoked by `logout`. */
  accessTokens: Array<{ jti: string; exp: number }>;
  revoked: boolean;
  /** Incremented by every write; `update` compares it (compare-and-set). */
  version: number;
}

/**
 * Where families live: `memorySessionStore()` in one process, `redisSessionStore()` from
 * `@jwt-guard/redis` across instances. Methods may reject; `createSessions` turns that into
 * `session_store_unavailable` (503). A store that can hang (a network store) must enforce its own
 * timeout: sessions wait for its answer.
 */
export interface SessionStore {
  get(familyId: string): Promise<SessionFamily | undefined>;
  /** Stores a new family. May reject when full (`SessionCapacityError`). */
  create(family: SessionFamily): Promise<void>;
  /**
   * Replaces the family only if its stored `version` is still `expectedVersion`; resolves with
   * whether it did. Two refreshes racing from the same record cannot both rotate from it.
   */
  update(familyId: string, expectedVersion: number, family: SessionFamily): Promise<boolean>;
  delete(familyId: string): Promise<void>;
  /** Every family of `subject` created at or before `at` (Unix ms) is dead: "log out everywhere". */
  revokeSubject(subject: string, at: number): Promise<void>;
  /** The latest `revokeSubject` time of `subject`: kept while a family created before it may still be stored. */
  subjectCutoff(subject: string): Promise<number | undefined>;
}
