/** Why a Redis replay store `claim` rejected; the guard answers each with 503 (never "first use"). */
export type RedisReplayStoreErrorCode =
  /** Redis did not answer within `timeout` (down, partitioned, or overloaded). */
  | 'redis_timeout'
  /** Redis (or the client) failed the command: refused connection, closed client, an error reply. */
  | 'redis_error'
  /** Redis answered something that is neither `OK` nor nil to `SET … NX`: not Redis, or a proxy in the way. */
  | 'unexpected_reply';

export class RedisReplayStoreError extends Error {
  constructor(
    readonly code: RedisReplayStoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RedisReplayStoreError';
  }
}
