/** Why a Redis session store call rejected; `createSessions` answers each with `503 session_store_unavailable`. */
export type RedisSessionStoreErrorCode =
  /** Redis did not answer within `timeout` (down, partitioned, or overloaded). */
  | 'redis_timeout'
  /** The stored value is not a session family (not JSON, or the wrong shape): never used, never overwritten. */
  | 'corrupt_record'
  /** `create` found a family with the same id already stored: nothing was written. */
  | 'family_exists'
  /** A family lives longer than `maxFamilyLifetime`, so its subject cutoff could expire before it: not stored. */
  | 'family_lifetime_exceeded';

export class RedisSessionStoreError extends Error {
  constructor(
    readonly code: RedisSessionStoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RedisSessionStoreError';
  }
}
