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
 * Whether the store's copy may still be trusted: when Redis was last heard from, since when it has
 * been out of reach, and when that has lasted longer than `maxStaleness`. A connection cut
 * without a reset (a partition) stays "up" to node-redis until TCP gives up; the heartbeat makes
 * such silence count as unreachable after maxStaleness all the same.
 */
export function redisLiveness(options: LivenessOptions) {
  const { maxStalenessMs, emit, isClosed, isSynced } = options;
  /** When the pub/sub connection was lost (ms); undefined while live or before the first load. */
  let disconnectedAt: number | undefined;
  /** Bumped on each disconnect: a load that saw one cannot vouch for having missed nothing. */
  let epoch = 0;
  let staleTimer: NodeJS.Timeout | undefined;
  let staleReported = false;
  /** Last sign of life on the pub/sub connection (ms): a message, a heartbeat reply, a load. */
  let lastHeardAt = Date.now();
  const heartbeatMs = Math.min(Math.max(maxStalenessMs / 4, 100), 2_500);
  let heartbeat: NodeJS.Timeout | undefined;
  let pingInFlight = false;

  function heard(): void {
    lastHeardAt = Date.now();
    if (disconnectedAt === undefined) staleReported = false;
  }

  function markDisconnected(error: Error | undefined): void {
    if (isClosed()) return;
    epoch += 1;
    if (disconnectedAt !== undefined) return;
    disconnectedAt = Date.now();
    staleReported = false;
    emit({ type: 'disconnected', error });
    clearTimeout(staleTimer);
    staleTimer = setTimeout(reportStale, maxStalenessMs + 1);
    staleTimer.unref();
  }

  /**
   * Since when Redis counts as out of reach (ms), if it does: since the disconnect, or since a
   * heartbeat reply is overdue (two heartbeats without a sign of life).
   */
  function unreachableSince(): number {
    return disconnectedAt ?? lastHeardAt + 2 * heartbeatMs;
  }

  function isStale(now: number): boolean {
    return now - unreachableSince() > maxStalenessMs;
  }

  function reportStale(): void {
    if (staleReported || isClosed()) return;
    staleReported = true;
    emit({ type: 'stale', unreachableForMs: Date.now() - unreachableSince() });
  }

  function ping(): void {
    if (isSynced() && isStale(Date.now())) reportStale();
    const sub = options.subscriber();
    if (pingInFlight || isClosed() || sub?.isReady !== true) return;
    pingInFlight = true;
    sub.sendCommand(['PING']).then(
      () => {
        pingInFlight = false;
        heard();
      },
      () => {
        pingInFlight = false; // a lost connection is reported by its own events
      },
    );
  }

  return {
    heard,
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
      heard();
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
