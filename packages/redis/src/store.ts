import { randomUUID } from 'node:crypto';
import { memoryRevocationStore, RevocationCapacityError, type RevocationStatus } from '@jwt-guard/core';
import type { RedisRevocationClient } from './client.js';
import { redisLiveness } from './liveness.js';
import { inParallel, resolveOptions } from './options.js';
import {
  checkJti,
  databaseOf,
  evictionPolicyOf,
  jtiBatches,
  nowSeconds,
  parseMessage,
  redisCommands,
  redisKeys,
  type Change,
  type Probe,
  type RedisCommands,
} from './redis-io.js';
import type { RedisRevocationEvent, RedisRevocationStore, RedisRevocationStoreOptions } from './types.js';

export type { RedisRevocationEvent, RedisRevocationState, RedisRevocationStore, RedisRevocationStoreOptions } from './types.js';

/** Transactions in flight in `revokeMany` and when writing a copy back. */
const BATCHES_IN_FLIGHT = 16;
/** How often the list in Redis is checked for lost keys, a new generation and clock skew. */
const PROBE_INTERVAL_MS = 1_000;

const toError = (value: unknown): Error => (value instanceof Error ? value : new Error(String(value)));

/**
 * A revocation store shared through Redis by every instance of an API. Each instance keeps an
 * in-memory copy (a `memoryRevocationStore`) that pub/sub keeps current and that every (re)connect
 * merges what Redis holds into, so `check` is a memory lookup. Revocations are written with
 * MULTI/EXEC together with their PUBLISH, and applied to the local copy at once.
 *
 * Revocations are never undone, so a copy never drops an entry before it expires: when the list in
 * Redis loses keys (FLUSHDB, eviction, a restart without persistence), each instance notices by
 * the markers the list carries, fails closed, and writes its copy back.
 *
 * @example
 * ```ts
 * const client = createClient({ url: process.env.REDIS_URL });
 * const store = redisRevocationStore({ client });
 * app.use(jwtGuard({ ...keys, revocation: { store } }));
 * ```
 */
export function redisRevocationStore(options: RedisRevocationStoreOptions): RedisRevocationStore {
  const { client, onEvent, prefix, maxStalenessMs, maxTokenLifetime, expiryMargin, maxEntries } = resolveOptions(options);

  const mirror = memoryRevocationStore({ maxTokenLifetime, expiryMargin, maxEntries });
  /** Our own messages start with this; the changes they carry were applied when written. */
  const origin = randomUUID();
  const ownMessage = `{"o":${JSON.stringify(origin)},`;
  /** Set once connected: the keys and channel depend on the database number. */
  let commands: RedisCommands | undefined;
  let resolveConnected!: (value: RedisCommands) => void;
  let rejectConnected!: (error: Error) => void;
  const connected = new Promise<RedisCommands>((resolve, reject) => {
    resolveConnected = resolve;
    rejectConnected = reject;
  });
  connected.catch(() => undefined); // writes may never be asked for

  let closed = false;
  let synced = false;
  /** The list's generation in Redis, as last loaded; a message of another one is not ours. */
  let generation: string | undefined;
  /** Set while the list in Redis has lost keys and this copy is not written back yet. */
  let lostReason: 'missing' | 'replaced' | undefined;
  let overCapacity = false;
  let skewReported = false;
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

  /** Applies a change to the copy (throws RevocationCapacityError when it does not fit). */
  function apply(change: Change): void {
    const { kind, pairs } = change;
    for (let index = 0; index + 1 < pairs.length; index += 2) {
      const key = pairs[index];
      const time = pairs[index + 1];
      if (typeof key !== 'string' || typeof time !== 'number') continue; // not ours: skipped
      if (kind === 'jtis') mirror.applyRevoke(key, time);
      else mirror.applyRevokeSubject(key, time);
    }
  }

  function markLost(reason: 'missing' | 'replaced'): void {
    if (lostReason !== undefined || closed) return;
    lostReason = reason;
    emit({ type: 'revocations_lost', reason });
  }

  function markOverCapacity(error: RevocationCapacityError): void {
    if (!overCapacity) emit({ type: 'capacity_exceeded', entries: error.entries, maxEntries: error.maxEntries });
    overCapacity = true;
  }

  // --- pub/sub -------------------------------------------------------------------------------

  function onMessage(message: string): void {
    heard();
    if (message.startsWith(ownMessage)) return;
    let change;
    try {
      change = parseMessage(message);
    } catch (error) {
      emit({ type: 'error', source: 'message', error: toError(error) });
      return;
    }
    if (generation !== undefined && change.generation !== generation) {
      // Another list's, or ours was replaced: the probe tells which, and a reload follows.
      probe();
      return;
    }
    try {
      apply(change);
    } catch (error) {
      if (!(error instanceof RevocationCapacityError)) throw error;
      markOverCapacity(error);
      requestSync();
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

  // --- the list in Redis: probe, load, write back --------------------------------------------

  function checkSkew({ redisTimeMs, localTimeMs }: Probe): void {
    const offsetMs = Math.round(localTimeMs - redisTimeMs);
    if (Math.abs(offsetMs) <= Math.max((expiryMargin * 1000) / 2, 1_000)) skewReported = false;
    else if (!skewReported) {
      skewReported = true;
      emit({ type: 'clock_skew', offsetMs });
    }
  }

  let probing = false;
  /** Checks the list in Redis for lost keys and a new generation (and the clocks): a reload if either. */
  function probe(): void {
    if (closed || !synced || probing || commands === undefined || !client.isReady) return;
    probing = true;
    commands.probe().then(
      (result) => {
        probing = false;
        checkSkew(result);
        if (!result.whole) markLost('missing');
        else if (result.generation !== generation) markLost('replaced');
        if (lostReason !== undefined) requestSync();
      },
      () => {
        probing = false; // an unreachable Redis is the liveness check's to report
      },
    );
  }

  /** Writes the whole copy into Redis, published to the other instances. */
  async function writeBack(io: RedisCommands): Promise<{ jtis: number; subjects: number }> {
    const { jtis, subjects } = mirror.entries();
    await inParallel(
      [
        ...jtiBatches(jtis, -Infinity).map((pairs) => () => io.writeJtis(pairs, generation)),
        ...subjects.map(([sub, issuedBefore]) => () => io.writeSubject(sub, issuedBefore, generation)),
      ],
      BATCHES_IN_FLIGHT,
    );
    return { jtis: jtis.length, subjects: subjects.length };
  }

  async function load(io: RedisCommands): Promise<void> {
    const startedEpoch = liveness.epoch();
    const started = performance.now();
    const newGeneration = randomUUID();
    let list = await io.ensure(newGeneration, expiryMargin, maxTokenLifetime, lostReason === undefined ? 'start' : 'repair');
    if (list.status === 'lost') {
      markLost('missing');
      list = await io.ensure(newGeneration, expiryMargin, maxTokenLifetime, 'repair');
    } else if (generation !== undefined && list.generation !== generation) {
      markLost(list.status === 'created' ? 'missing' : 'replaced');
    }
    if (list.generation === undefined) throw new Error('Redis gave no generation for the revocation list');
    if (list.status === 'created' && lostReason === undefined) emit({ type: 'created', generation: list.generation });
    generation = list.generation;
    const restoring = lostReason !== undefined;
    const restored = restoring ? await writeBack(io) : undefined;
    checkSkew(await io.probe());
    await io.purge();
    const jtis = await io.scanAll('ZSCAN', io.keys.jtis);
    const subjects = await io.scanAll('HSCAN', io.keys.subjects);
    if (closed) return;
    try {
      // A union: what the copy knows and Redis has lost stays (and was written back above).
      mirror.mergeAll({ jtis, subjects });
    } catch (error) {
      if (error instanceof RevocationCapacityError) markOverCapacity(error);
      throw error;
    }
    overCapacity = false;
    if (restored !== undefined) {
      lostReason = undefined;
      emit({ type: 'restored', ...restored });
    }
    const initial = !synced;
    synced = true;
    liveness.loaded(startedEpoch);
    emit({ type: 'synced', initial, jtis: jtis.length, subjects: subjects.length, durationMs: Math.round(performance.now() - started) });
    if (initial) resolveReady();
  }

  let syncRunning = false;
  let syncWanted = false;
  let retryTimer: NodeJS.Timeout | undefined;

  /** Loads from Redis now, or again after the load under way; retries with backoff on failure. */
  function requestSync(): void {
    syncWanted = true;
    if (syncRunning || closed || commands === undefined) return;
    const io = commands;
    syncRunning = true;
    void (async () => {
      let failures = 0;
      while (syncWanted && !closed && subscriber?.isReady === true) {
        syncWanted = false;
        try {
          await load(io);
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

  async function warnOfEviction(): Promise<void> {
    const policy = await evictionPolicyOf(client);
    if (policy === undefined || policy.startsWith('allkeys-')) emit({ type: 'eviction_policy', policy: policy ?? 'unknown' });
  }

  let probeTimer: NodeJS.Timeout | undefined;
  let startingWith: 'client' | 'subscriber' = 'client';

  /** Opens the pub/sub connection and subscribes; `ready` (a reload) is listened to only once subscribed. */
  async function openSubscriber(io: RedisCommands): Promise<RedisRevocationClient> {
    const sub = client.duplicate();
    subscriber = sub;
    sub.on('error', onSubscriberError);
    sub.on('end', onSubscriberDown);
    sub.on('reconnecting', onSubscriberDown);
    await sub.connect();
    if (!closed) await sub.subscribe(io.keys.channel, onMessage);
    sub.on('ready', onSubscriberReady);
    return sub;
  }

  function dropSubscriber(sub: RedisRevocationClient): void {
    sub.off('end', onSubscriberDown);
    sub.off('reconnecting', onSubscriberDown);
    sub.off('ready', onSubscriberReady);
    // Immediate: nothing of ours is pending on it, and it may be reconnecting.
    if (sub.isOpen) sub.destroy();
    sub.off('error', onSubscriberError);
  }

  /**
   * Seconds (probe ticks) the command connection has been ready while the pub/sub one was not.
   * node-redis can leave a pub/sub connection that was reset mid-handshake reconnected but never
   * ready again (seen with a reset during a partition): the copy would stay stale for good. Two
   * ticks of that, and a fresh connection replaces it.
   */
  let stuckTicks = 0;
  let replacing = false;
  function watchSubscriber(): void {
    const sub = subscriber;
    if (closed || !subscribed || replacing || commands === undefined || sub === undefined) return;
    stuckTicks = client.isReady && !sub.isReady ? stuckTicks + 1 : 0;
    if (stuckTicks < 2) return;
    stuckTicks = 0;
    replacing = true;
    markDisconnected(undefined);
    dropSubscriber(sub);
    emit({ type: 'subscriber_replaced' });
    const io = commands;
    openSubscriber(io).then(
      (fresh) => {
        replacing = false;
        if (closed) dropSubscriber(fresh);
        else requestSync();
      },
      (error: unknown) => {
        replacing = false; // tried again on a later tick
        if (!closed) emit({ type: 'error', source: 'subscriber', error: toError(error) });
      },
    );
  }

  async function start(): Promise<void> {
    client.on('error', onClientError);
    if (!client.isOpen) {
      ownsClient = true;
      await client.connect();
    }
    if (closed) return;
    const io = redisCommands(client, redisKeys(prefix, await databaseOf(client)), origin);
    commands = io;
    resolveConnected(io);
    await warnOfEviction();
    if (closed) return;
    startingWith = 'subscriber';
    await openSubscriber(io);
    if (closed) return;
    subscribed = true;
    liveness.startHeartbeat();
    probeTimer = setInterval(() => {
      probe();
      watchSubscriber();
    }, PROBE_INTERVAL_MS);
    probeTimer.unref();
    requestSync();
  }

  start().catch((error: unknown) => {
    if (closed) return;
    const failure = toError(error);
    emit({ type: 'error', source: startingWith, error: failure });
    rejectReady(failure);
    rejectConnected(failure);
  });

  // --- writing -------------------------------------------------------------------------------

  /**
   * Applies a change to the copy in the same tick as its write is queued on `client` (the
   * connection loads read through), then waits for the write. Before the store is connected,
   * waits for that first.
   */
  async function write(change: Change, send: (io: RedisCommands) => Promise<void>): Promise<void> {
    if (closed) throw new Error('redisRevocationStore: the store is closed.');
    const io = commands ?? (await connected);
    apply(change);
    await send(io);
  }

  return {
    maxTokenLifetime,
    expiryMargin,

    async revoke(jti, expiresAt) {
      checkJti(jti, expiresAt);
      // Nothing to deny once no verifier accepts the token any more, even with clockTolerance.
      if (!(expiresAt + expiryMargin > nowSeconds()) && !closed) return;
      const pairs = [jti, expiresAt];
      await write({ kind: 'jtis', pairs }, (io) => io.writeJtis(pairs, generation));
    },

    async revokeMany(input) {
      if (closed) throw new Error('redisRevocationStore: the store is closed.');
      const batches = jtiBatches(input, nowSeconds() - expiryMargin);
      await inParallel(
        batches.map((pairs) => () => write({ kind: 'jtis', pairs }, (io) => io.writeJtis(pairs, generation))),
        BATCHES_IN_FLIGHT,
      );
    },

    async revokeSubject(sub, issuedBefore) {
      if (typeof sub !== 'string' || sub === '') throw new TypeError('revokeSubject(sub, issuedBefore) needs a subject.');
      if (typeof issuedBefore !== 'number' || !Number.isFinite(issuedBefore)) {
        throw new TypeError('revokeSubject(sub, issuedBefore) needs a time (Unix seconds).');
      }
      // Every token it names has expired, even with clockTolerance.
      if (!(issuedBefore + maxTokenLifetime + expiryMargin > nowSeconds()) && !closed) return;
      await write({ kind: 'subjects', pairs: [sub, issuedBefore] }, (io) => io.writeSubject(sub, issuedBefore, generation));
    },

    check(token) {
      const local = mirror.check(token);
      // memoryRevocationStore answers synchronously; its type says it may not (the interface's).
      const status: RevocationStatus = typeof local === 'string' ? local : 'unknown';
      // Revocations are never undone: what the copy knows to be revoked is, however stale.
      if (status === 'revoked') return status;
      if (closed || !synced || lostReason !== undefined || overCapacity) return 'unknown';
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
      clearInterval(probeTimer);
      rejectReady(new Error('redisRevocationStore: closed before it was ready.'));
      rejectConnected(new Error('redisRevocationStore: the store is closed.'));
      if (subscriber !== undefined) dropSubscriber(subscriber);
      if (ownsClient && client.isOpen) {
        if (client.isReady) await client.close();
        else client.destroy();
      }
      client.off('error', onClientError);
    },

    purgeExpired: async () => (commands ?? (await connected)).purge(),
    size: () => mirror.size(),

    state() {
      if (closed) return 'closed';
      if (lostReason !== undefined) return 'lost';
      if (overCapacity) return 'over_capacity';
      if (!synced) return 'starting';
      const now = Date.now();
      if (isStale(now)) return 'stale';
      return liveness.isDisconnected() ? 'disconnected' : 'live';
    },
  };
}
