import type { RedisRevocationClient } from './client.js';
import type { RedisRevocationEvent } from './types.js';

export interface LivenessOptions {
  maxStalenessMs: number;
  emit: (event: RedisRevocationEvent) => void;
  /** Whether the store is closed: a closed store reports nothing. */
  isClosed: () => boolean;
  /** Whether the copy has been loaded once: staleness is reported only after that. */
  isSynced: () => boolean;
  /** The pub/sub connection the heartbeat pings, once there is one. */
  subscriber: () => RedisRevocationClient | undefined;
}

/**
 * Whether the store's copy may still be trusted. The copy is as fresh as the last sign of life
 * from Redis (a message, a heartbeat reply, a completed load), and it is stale once that is more
 * than `maxStaleness` ago — however the failure shows itself, and whenever it is noticed. A
 * connection cut without a reset (a partition) stays "up" to node-redis until TCP gives up,
 * perhaps minutes later: the heartbeat's silence makes the copy stale in time, and the reset,
 * when it comes, changes nothing about how old the copy is.
 */
export function redisLiveness(options: LivenessOptions) {
  const { maxStalenessMs, emit, isClosed, isSynced } = options;
  /** When the pub/sub connection was lost (ms); undefined while live or before the first load. */
  let disconnectedAt: number | undefined;
  /** Bumped on each disconnect: a load that saw one cannot vouch for having missed nothing. */
  let epoch = 0;
  let staleTimer: NodeJS.Timeout | undefined;
  let staleReported = false;
  /**
   * Last sign of life from Redis (ms) that the copy reflects: a message, a heartbeat reply (as of
   * when its PING was sent: Redis answered it later than that, after every message published
   * before), a completed load. Frozen from a disconnect until the next completed load.
   */
  let lastHeardAt = Date.now();
  // A connection that works is heard from every heartbeat (plus a round trip), so the interval
  // must stay well under maxStaleness: a quarter of it, never more than 2.5 s.
  const heartbeatMs = Math.min(Math.max(maxStalenessMs / 4, 10), 2_500);
  let heartbeat: NodeJS.Timeout | undefined;
  let pingInFlight = false;

  function isStale(now: number): boolean {
    return now - lastHeardAt > maxStalenessMs;
  }

  /** Redis was heard from at `at` (ms). */
  function heardAt(at: number): void {
    // A connection that came back does not vouch for the copy: what was published while it was
    // down is in it only once reloaded (`loaded`).
    if (disconnectedAt !== undefined) return;
    if (at > lastHeardAt) lastHeardAt = at;
    if (!isStale(Date.now())) staleReported = false;
  }

  function reportStale(): void {
    if (staleReported || isClosed()) return;
    staleReported = true;
    emit({ type: 'stale', unreachableForMs: Date.now() - lastHeardAt });
  }

  function markDisconnected(error: Error | undefined): void {
    if (isClosed()) return;
    epoch += 1;
    if (disconnectedAt !== undefined) return;
    disconnectedAt = Date.now();
    emit({ type: 'disconnected', error });
    // Stale maxStaleness after Redis was last heard, not after the failure was noticed: at once,
    // if that is already past (then `stale` follows `disconnected` only if not reported before).
    clearTimeout(staleTimer);
    const dueInMs = Math.max(lastHeardAt + maxStalenessMs + 1 - disconnectedAt, 0);
    staleTimer = setTimeout(() => {
      if (isStale(Date.now())) reportStale();
    }, dueInMs);
    staleTimer.unref();
  }

  function ping(): void {
    if (isSynced() && isStale(Date.now())) reportStale();
    const sub = options.subscriber();
    if (pingInFlight || isClosed() || sub?.isReady !== true) return;
    pingInFlight = true;
    const sentAt = Date.now();
    sub.sendCommand(['PING']).then(
      () => {
        pingInFlight = false;
        heardAt(sentAt);
      },
      () => {
        pingInFlight = false; // a lost connection is reported by its own events
      },
    );
  }

  return {
    /** Redis was heard from just now (a message). */
    heard: (): void => heardAt(Date.now()),
    markDisconnected,
    isStale,
    reportStale,
    /** The current disconnect count, to hand back to `loaded` when a load that started now ends. */
    epoch: () => epoch,
    /** A load completed: live again, unless a disconnect happened while it ran. */
    loaded(startedEpoch: number): void {
      if (epoch !== startedEpoch) return;
      disconnectedAt = undefined;
      clearTimeout(staleTimer);
      heardAt(Date.now());
    },
    isDisconnected: () => disconnectedAt !== undefined,
    startHeartbeat(): void {
      heartbeat = setInterval(ping, heartbeatMs);
      heartbeat.unref();
    },
    stop(): void {
      clearTimeout(staleTimer);
      clearInterval(heartbeat);
    },
  };
}
