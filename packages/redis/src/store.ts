import { randomUUID } from 'node:crypto';
import { durationToSeconds, memoryRevocationStore, type RevocationStatus } from '@jwt-guard/core';
import type { RedisRevocationClient } from './client.js';
import { configError } from './errors.js';
import { redisLiveness } from './liveness.js';
import { checkJti, jtiBatches, nowSeconds, parseMessage, redisCommands, redisKeys, type Change } from './redis-io.js';
import type { RedisRevocationEvent, RedisRevocationStore, RedisRevocationStoreOptions } from './types.js';

export type { RedisRevocationEvent, RedisRevocationState, RedisRevocationStore, RedisRevocationStoreOptions } from './types.js';

const DEFAULT_PREFIX = 'jwt-guard:revocation';
/** Transactions in flight in `revokeMany`. */
const BATCHES_IN_FLIGHT = 16;

const toError = (value: unknown): Error => (value instanceof Error ? value : new Error(String(value)));

/**
 * A revocation store shared through Redis by every instance of an API. Each instance keeps an
 * in-memory copy (a `memoryRevocationStore`) that pub/sub keeps current and that is reloaded
 * whole on every (re)connect, so `check` is a memory lookup. Revocations are written with
 * MULTI/EXEC together with their PUBLISH, and applied to the local copy at once.
 *
 * @example
 * ```ts
 * const client = createClient({ url: process.env.REDIS_URL });
 * const store = redisRevocationStore({ client });
 * app.use(jwtGuard({ ...keys, revocation: { store } }));
 * ```
 */
export function redisRevocationStore(options: RedisRevocationStoreOptions): RedisRevocationStore {
  if (typeof options !== 'object' || options === null) throw configError('redisRevocationStore needs { client }.');
  const { client, onEvent } = options;
  if (typeof client !== 'object' || client === null || typeof client.duplicate !== 'function' || typeof client.sendCommand !== 'function') {
    throw configError("redisRevocationStore needs { client }: a node-redis v5 client, createClient({ url }) from 'redis'.");
  }
  const prefix = options.keyPrefix ?? DEFAULT_PREFIX;
  if (typeof prefix !== 'string' || prefix === '') throw configError('keyPrefix must be a non-empty string.');
  const maxStalenessMs = durationToSeconds(options.maxStaleness ?? '10s', 'maxStaleness') * 1000;
  const maxTokenLifetime = durationToSeconds(options.maxTokenLifetime ?? '24h', 'maxTokenLifetime');
  if (!(maxTokenLifetime > 0)) throw configError('maxTokenLifetime must be greater than zero: the longest lifetime of the tokens you accept.');
  if (onEvent !== undefined && typeof onEvent !== 'function') throw configError('onEvent must be a function.');

  const keys = redisKeys(prefix);
  const mirror = memoryRevocationStore({ maxTokenLifetime });
  /** Our own messages start with this; the changes they carry were applied when written. */
  const origin = randomUUID();
  const ownMessage = `{"o":${JSON.stringify(origin)},`;
  const { purge, scanAll, writeJtis, writeSubject } = redisCommands(client, keys, origin);

  let closed = false;
  let synced = false;
  /** Changes applied while a load runs, applied again on top of what it loaded. */
  let duringSync: Change[] | undefined;
  let subscribed = false;
  let ownsClient = false;
  let subscriber: RedisRevocationClient | undefined;
  const liveness = redisLiveness({
    maxStalenessMs,
    emit,
    isClosed: () => closed,
    isSynced: () => synced,
    subscriber: () => subscriber,
  });
  const { heard, markDisconnected, isStale, reportStale } = liveness;

  let resolveReady!: () => void;
  let rejectReady!: (error: Error) => void;
  const readyPromise = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  readyPromise.catch(() => undefined); // ready() may never be called

  function emit(event: RedisRevocationEvent): void {
    try {
      onEvent?.(event);
    } catch {
      // A logging hook must not break the store.
    }
  }

  /**
   * Applies a change to the copy, and remembers it while a load runs. Local writes call this in
   * the same tick as they queue their MULTI on `client`, the connection loads read through: so a
   * write is either queued before a load's reads (and seen by them) or applied after the load
   * began (and replayed on top of it).
   */
  function apply(change: Change): void {
    const { kind, pairs } = change;
    for (let index = 0; index + 1 < pairs.length; index += 2) {
      const key = pairs[index];
      const time = pairs[index + 1];
      if (typeof key !== 'string' || typeof time !== 'number') continue; // not ours: skipped
      if (kind === 'jtis') mirror.applyRevoke(key, time);
      else mirror.applyRevokeSubject(key, time);
    }
    duringSync?.push(change);
  }

  // --- pub/sub -------------------------------------------------------------------------------

  function onMessage(message: string): void {
    heard();
    if (message.startsWith(ownMessage)) return;
    try {
      apply(parseMessage(message));
    } catch (error) {
      emit({ type: 'error', source: 'message', error: toError(error) });
    }
  }

  const onSubscriberError = (error: Error) => {
    if (closed) return;
    emit({ type: 'error', source: 'subscriber', error });
    if (subscriber?.isReady !== true) markDisconnected(error);
  };
  const onSubscriberDown = () => markDisconnected(undefined);
  // After a reconnect node-redis has re-subscribed before it emits 'ready', so a load started
  // now misses nothing: what it does not see arrives as a message.
  const onSubscriberReady = () => {
    if (subscribed) requestSync();
  };
  const onClientError = (error: Error) => {
    if (!closed) emit({ type: 'error', source: 'client', error });
  };

  // --- loading -------------------------------------------------------------------------------

  async function load(): Promise<void> {
    const startedEpoch = liveness.epoch();
    const started = performance.now();
    duringSync = [];
    try {
      await purge();
      const jtis = await scanAll('ZSCAN', keys.jtis);
      const subjects = await scanAll('HSCAN', keys.subjects);
      if (closed) return;
      const replay = duringSync;
      duringSync = undefined;
      mirror.replaceAll({ jtis, subjects });
      for (const change of replay) apply(change);
      const initial = !synced;
      synced = true;
      liveness.loaded(startedEpoch);
      emit({ type: 'synced', initial, jtis: jtis.length, subjects: subjects.length, durationMs: Math.round(performance.now() - started) });
      if (initial) resolveReady();
    } finally {
      duringSync = undefined;
    }
  }

  let syncRunning = false;
  let syncWanted = false;
  let retryTimer: NodeJS.Timeout | undefined;

  /** Loads from Redis now, or again after the load under way; retries with backoff on failure. */
  function requestSync(): void {
    syncWanted = true;
    if (syncRunning || closed) return;
    syncRunning = true;
    void (async () => {
      let failures = 0;
      while (syncWanted && !closed && subscriber?.isReady === true) {
        syncWanted = false;
        try {
          await load();
          failures = 0;
        } catch (error) {
          if (closed) break;
          const retryInMs = Math.min(100 * 2 ** failures, 5_000);
          failures += 1;
          emit({ type: 'sync_failed', error: toError(error), retryInMs });
          syncWanted = true;
          await new Promise<void>((resolve) => {
            retryTimer = setTimeout(resolve, retryInMs);
          });
        }
      }
      syncRunning = false;
    })();
  }

  let startingWith: 'client' | 'subscriber' = 'client';
  async function start(): Promise<void> {
    client.on('error', onClientError);
    if (!client.isOpen) {
      ownsClient = true;
      await client.connect();
    }
    if (closed) return;
    startingWith = 'subscriber';
    const sub = client.duplicate();
    subscriber = sub;
    sub.on('error', onSubscriberError);
    sub.on('end', onSubscriberDown);
    sub.on('reconnecting', onSubscriberDown);
    sub.on('ready', onSubscriberReady);
    await sub.connect();
    if (closed) return;
    await sub.subscribe(keys.channel, onMessage);
    subscribed = true;
    if (closed) return;
    liveness.startHeartbeat();
    requestSync();
  }

  start().catch((error: unknown) => {
    if (closed) return;
    const failure = toError(error);
    emit({ type: 'error', source: startingWith, error: failure });
    rejectReady(failure);
  });

  // --- writing -------------------------------------------------------------------------------

  function assertOpen(): void {
    if (closed) throw new Error('redisRevocationStore: the store is closed.');
  }

  return {
    maxTokenLifetime,

    async revoke(jti, expiresAt) {
      checkJti(jti, expiresAt);
      assertOpen();
      if (!(expiresAt > nowSeconds())) return; // already expired: nothing to deny
      const pairs = [jti, expiresAt];
      apply({ kind: 'jtis', pairs });
      await writeJtis(pairs);
    },

    async revokeMany(input) {
      assertOpen();
      const batches = jtiBatches(input, nowSeconds());
      let next = 0;
      const worker = async () => {
        while (next < batches.length) {
          const pairs = batches[next++];
          if (pairs === undefined) break;
          // Applied just before its write is queued, as in `revoke` (see `apply`).
          apply({ kind: 'jtis', pairs });
          await writeJtis(pairs);
        }
      };
      await Promise.all(Array.from({ length: Math.min(BATCHES_IN_FLIGHT, batches.length) }, worker));
    },

    async revokeSubject(sub, issuedBefore) {
      if (typeof sub !== 'string' || sub === '') throw new TypeError('revokeSubject(sub, issuedBefore) needs a subject.');
      if (typeof issuedBefore !== 'number' || !Number.isFinite(issuedBefore)) {
        throw new TypeError('revokeSubject(sub, issuedBefore) needs a time (Unix seconds).');
      }
      assertOpen();
      const now = nowSeconds();
      const expiresAt = issuedBefore + maxTokenLifetime;
      if (!(expiresAt > now)) return; // every token it names has expired
      const pairs = [sub, issuedBefore];
      apply({ kind: 'subjects', pairs });
      await writeSubject(sub, issuedBefore, expiresAt);
    },

    check(token) {
      const local = mirror.check(token);
      // memoryRevocationStore answers synchronously; its type says it may not (the interface's).
      const status: RevocationStatus = typeof local === 'string' ? local : 'unknown';
      // Revocations are never undone: what the copy knows to be revoked is, however stale.
      if (status === 'revoked') return status;
      if (closed || !synced) return 'unknown';
      if (isStale(Date.now())) {
        reportStale();
        return 'unknown';
      }
      return status;
    },

    ready: () => readyPromise,

    async close() {
      if (closed) return;
      closed = true;
      liveness.stop();
      clearTimeout(retryTimer);
      rejectReady(new Error('redisRevocationStore: closed before it was ready.'));
      const sub = subscriber;
      if (sub !== undefined) {
        sub.off('end', onSubscriberDown);
        sub.off('reconnecting', onSubscriberDown);
        sub.off('ready', onSubscriberReady);
        // Immediate: nothing of ours is pending on it, and it may be reconnecting.
        if (sub.isOpen) sub.destroy();
        sub.off('error', onSubscriberError);
      }
      if (ownsClient && client.isOpen) {
        if (client.isReady) await client.close();
        else client.destroy();
      }
      client.off('error', onClientError);
    },

    purgeExpired: purge,
    size: () => mirror.size(),

    state() {
      if (closed) return 'closed';
      if (!synced) return 'starting';
      const now = Date.now();
      if (isStale(now)) return 'stale';
      return liveness.isDisconnected() ? 'disconnected' : 'live';
    },
  };
}
