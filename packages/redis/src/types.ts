import type { Duration, RevocationStatus, RevocationStore, RevocationSubject } from '@jwt-guard/core';
import type { RedisRevocationClient } from './client.js';

export interface RedisRevocationStoreOptions {
  /**
   * A node-redis v5 client, `createClient({ url })`. Connected or not: a client that is not open
   * yet is connected by the store, which then also closes it in `close()`; a client you opened
   * stays yours. The store adds one connection of its own, `client.duplicate()`, for pub/sub.
   */
  client: RedisRevocationClient;
  /**
   * Prefix of the Redis keys and of the pub/sub channel (whose name also carries the database
   * number). Default `'jwt-guard:revocation'`.
   */
  keyPrefix?: string;
  /**
   * How long after Redis was last heard (a message, a heartbeat reply, a load) the in-memory copy is
   * still trusted — counted from then, not from when a failure was noticed. Past that, `check`
   * answers `'unknown'` (the verifier then fails closed with 503, or open, as configured) — except
   * for tokens the copy knows to be revoked, which stay refused. Seconds or `'10s'`, at least
   * 0.1 s. Default `'10s'`.
   */
  maxStaleness?: Duration;
  /**
   * The longest lifetime (`exp − iat`) of any token you accept: a subject revocation is kept this
   * long past its `issuedBefore`, by when every token it names has expired. The verifier holds it
   * to that: with this store, a token of a subject that lives longer, or has no `iat`, is refused
   * (401, with a hint to raise this). Default `'24h'`.
   */
  maxTokenLifetime?: Duration;
  /**
   * How long past a token's `exp` its revocation is kept, in Redis and in each copy. A verifier
   * accepts a token until `exp + clockTolerance`, and refuses at start-up a `clockTolerance`
   * larger than this; what is left over covers the clock skew between instances. Redis keeps the
   * largest value any instance sharing the list declared. Seconds or `'5m'`. Default `'5m'`.
   */
  expiryMargin?: Duration;
  /**
   * The most live entries (jtis + subjects) the in-memory copy holds. A load or a message that would
   * take it further is not applied at all: the store answers `'unknown'` (fail-closed by default)
   * and reports `capacity_exceeded`. Default 5 000 000.
   */
  maxEntries?: number;
  /** Connection, synchronisation and staleness events, for logs and metrics. Must not throw. */
  onEvent?: (event: RedisRevocationEvent) => void;
}

/** What {@link RedisRevocationStoreOptions.onEvent} is told. Times are milliseconds. */
export type RedisRevocationEvent =
  /** The in-memory copy was (re)loaded from Redis and is live. `initial` on the first load. */
  | { type: 'synced'; initial: boolean; jtis: number; subjects: number; durationMs: number }
  /** The pub/sub connection was lost; the copy is answered from until `maxStaleness` after Redis was last heard. */
  | { type: 'disconnected'; error: Error | undefined }
  /**
   * Redis has been out of reach for longer than `maxStaleness` — disconnected, or connected but
   * not answering the store's heartbeat — so `check` answers `'unknown'` until it is back.
   */
  | { type: 'stale'; unreachableForMs: number }
  /**
   * The pub/sub connection stayed down for two seconds while the command connection was back (a
   * node-redis connection reset mid-handshake can stay so for good): a fresh one replaced it, and
   * the copy is reloaded once it is subscribed.
   */
  | { type: 'subscriber_replaced' }
  /** Loading from Redis failed; retried after `retryInMs` while the pub/sub connection is up. */
  | { type: 'sync_failed'; error: Error; retryInMs: number }
  /**
   * No revocation list existed at this prefix and database, so an empty one was created: on the
   * first start ever — or after every key was lost (FLUSHDB, eviction, a restart without
   * persistence) while no running instance held a copy to write back.
   */
  | { type: 'created'; generation: string }
  /**
   * The list in Redis lost keys (`missing`: FLUSHDB, eviction, a restart without persistence) or
   * was replaced by a new one (`replaced`). Until this instance has written its copy back,
   * `check` answers `'unknown'` (what the copy knows to be revoked stays `'revoked'`).
   */
  | { type: 'revocations_lost'; reason: 'missing' | 'replaced' }
  /** After `revocations_lost`: this instance wrote its copy back into Redis (and told the others), and is live again. */
  | { type: 'restored'; jtis: number; subjects: number }
  /**
   * At start-up: the server's `maxmemory-policy` can evict keys without a TTL (`allkeys-*`), the
   * store's among them; `'unknown'` when CONFIG GET is refused. Set `noeviction` or a `volatile-*`
   * policy, or give the store a Redis of its own.
   */
  | { type: 'eviction_policy'; policy: string }
  /**
   * This machine's clock differs from Redis's by more than half of `expiryMargin` (reported once
   * until it is back within). `offsetMs` is local minus Redis: positive when this clock is ahead.
   */
  | { type: 'clock_skew'; offsetMs: number }
  /** A load or a message would take the copy past `maxEntries`: not applied; `check` answers `'unknown'` until a load fits. */
  | { type: 'capacity_exceeded'; entries: number; maxEntries: number }
  /**
   * Anything else that went wrong: an error of the client you passed (`client`), of the store's
   * pub/sub connection (`subscriber`: e.g. each failed reconnect attempt), or an unreadable
   * pub/sub message (`message`).
   */
  | { type: 'error'; source: 'client' | 'subscriber' | 'message'; error: Error };

/**
 * `starting`: not loaded yet; `live`: loaded and subscribed; `disconnected`: answering from the
 * copy; `stale`: past `maxStaleness`; `lost`: the list in Redis lost keys, being written back;
 * `over_capacity`: the list does not fit in `maxEntries`. In the last three, `check` answers
 * `'unknown'` except for what the copy knows to be revoked.
 */
export type RedisRevocationState = 'starting' | 'live' | 'disconnected' | 'stale' | 'lost' | 'over_capacity' | 'closed';

export interface RedisRevocationStore extends RevocationStore {
  /** The `maxTokenLifetime` option, in seconds. */
  readonly maxTokenLifetime: number;
  /** The `expiryMargin` option, in seconds. */
  readonly expiryMargin: number;
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
  /** Removes what has expired from Redis now, by Redis's clock (writes and resyncs do it too). */
  purgeExpired(): Promise<{ jtis: number; subjects: number }>;
  /** Live entries (jtis + subjects) in this instance's in-memory copy. */
  size(): number;
  state(): RedisRevocationState;
}
