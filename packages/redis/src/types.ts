import type { Duration, RevocationStatus, RevocationStore, RevocationSubject } from '@jwt-guard/core';
import type { RedisRevocationClient } from './client.js';

export interface RedisRevocationStoreOptions {
  /**
   * A node-redis v5 client, `createClient({ url })`. Connected or not: a client that is not open
   * yet is connected by the store, which then also closes it in `close()`; a client you opened
   * stays yours. The store adds one connection of its own, `client.duplicate()`, for pub/sub.
   */
  client: RedisRevocationClient;
  /** Prefix of the Redis keys and of the pub/sub channel. Default `'jwt-guard:revocation'`. */
  keyPrefix?: string;
  /**
   * How long after losing Redis the in-memory copy is still trusted. Past that, `check` answers
   * `'unknown'` (the verifier then fails closed with 503, or open, as configured) — except for
   * tokens the copy knows to be revoked, which stay refused. Seconds or `'10s'`. Default `'10s'`.
   */
  maxStaleness?: Duration;
  /**
   * The longest lifetime (`exp − iat`) of any token you accept: a subject revocation is kept this
   * long past its `issuedBefore`, by when every token it names has expired. The verifier holds it
   * to that: with this store, a token of a subject that lives longer, or has no `iat`, is refused
   * (401, with a hint to raise this). Default `'24h'`.
   */
  maxTokenLifetime?: Duration;
  /** Connection, synchronisation and staleness events, for logs and metrics. Must not throw. */
  onEvent?: (event: RedisRevocationEvent) => void;
}

/** What {@link RedisRevocationStoreOptions.onEvent} is told. Times are milliseconds. */
export type RedisRevocationEvent =
  /** The in-memory copy was (re)loaded from Redis and is live. `initial` on the first load. */
  | { type: 'synced'; initial: boolean; jtis: number; subjects: number; durationMs: number }
  /** The pub/sub connection was lost; the copy is answered from until `maxStaleness` passes. */
  | { type: 'disconnected'; error: Error | undefined }
  /**
   * Redis has been out of reach for longer than `maxStaleness` — disconnected, or connected but
   * not answering the store's heartbeat — so `check` answers `'unknown'` until it is back.
   */
  | { type: 'stale'; unreachableForMs: number }
  /** Loading from Redis failed; retried after `retryInMs` while the pub/sub connection is up. */
  | { type: 'sync_failed'; error: Error; retryInMs: number }
  /**
   * Anything else that went wrong: an error of the client you passed (`client`), of the store's
   * pub/sub connection (`subscriber`: e.g. each failed reconnect attempt), or an unreadable
   * pub/sub message (`message`).
   */
  | { type: 'error'; source: 'client' | 'subscriber' | 'message'; error: Error };

/** `starting`: not loaded yet; `live`: loaded and subscribed; `disconnected`: answering from the copy; `stale`: past `maxStaleness`. */
export type RedisRevocationState = 'starting' | 'live' | 'disconnected' | 'stale' | 'closed';

export interface RedisRevocationStore extends RevocationStore {
  /** The `maxTokenLifetime` option, in seconds. */
  readonly maxTokenLifetime: number;
  /** Answered from the in-memory copy: no network round trip. */
  check(token: RevocationSubject): RevocationStatus;
  /**
   * Revokes many tokens at once, `[jti, exp]` pairs: batched into few transactions and few
   * pub/sub messages. Same effect as `revoke` on each.
   */
  revokeMany(entries: Iterable<readonly [jti: string, expiresAt: number]>): Promise<void>;
  /** Resolves once subscribed and loaded from Redis (until then `check` answers `'unknown'`). */
  ready(): Promise<void>;
  /** Unsubscribes and closes the store's own connection (and the client, if the store opened it). */
  close(): Promise<void>;
  /** Removes what has expired from Redis now (writes and resyncs do it too). */
  purgeExpired(): Promise<{ jtis: number; subjects: number }>;
  /** Live entries (jtis + subjects) in this instance's in-memory copy. */
  size(): number;
  state(): RedisRevocationState;
}
