import { createHash } from 'node:crypto';
import { checkOptionNames, type Duration } from '@jwt-guard/core';
import type { RedisRevocationClient } from './client.js';
import { checkClient, keyPrefixOf, timedCommands, timeoutMsOf } from './command.js';
import { configError } from './errors.js';
import { RedisReplayStoreError } from './replay-errors.js';

/**
 * Where the DPoP check records the proofs it has seen (RFC 9449 §11.1): the same interface as
 * `DpopReplayStore` in @jwt-guard/core, declared here structurally.
 */
export interface DpopReplayStore {
  /** Records that proof `key` was used, kept until `expiresAt` (epoch seconds). true for its first use, false for a replay.
   *  Atomic across every instance sharing the store. A throw, a rejection or a hang → the guard answers 503. */
  claim(key: string, expiresAt: number): boolean | Promise<boolean>;
}

export interface RedisReplayStoreOptions {
  /** A node-redis v5 client (`createClient({ url })`), the same type the other stores take; connected by the store if it is not open yet. */
  client: RedisRevocationClient;
  /** Prefix of every key: `<keyPrefix><proof key>`. Default `'jwt-guard:dpop:'`. */
  keyPrefix?: string;
  /** How long a claim waits for Redis before rejecting (the guard then answers 503). Default `'2s'`. */
  timeout?: Duration;
  /** Errors of `client` (a listener is attached so that they never crash the process). */
  onError?: (error: Error) => void;
}

export interface RedisReplayStore extends DpopReplayStore {
  /** One `SET … NX PX`: resolves true for the first use of `key`, false for a replay; rejects (never true) when Redis cannot say. */
  claim(key: string, expiresAt: number): Promise<boolean>;
  /** Removes the error listener, and closes the client if the store opened it. */
  close(): Promise<void>;
}

const OPTION_NAMES = ['client', 'keyPrefix', 'timeout', 'onError'] as const;
/** Longer keys (in UTF-8 bytes) are stored by their SHA-256: Redis memory per proof stays bounded. */
const MAX_RAW_KEY_BYTES = 200;
const HASHED = 'sha256:';
/**
 * The least a claim is kept, however near or past its `expiresAt`: two uses of one proof that
 * arrive together are still told apart.
 */
const MIN_RETENTION_MS = 1_000;

/** The Redis key of a proof key: as is, or its SHA-256 when long (or when it could pass for a hashed one). */
function replayKey(prefix: string, key: string): string {
  if (Buffer.byteLength(key, 'utf8') <= MAX_RAW_KEY_BYTES && !key.startsWith(HASHED)) return prefix + key;
  return `${prefix}${HASHED}${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

/**
 * DPoP proofs seen by every instance of an API, in Redis: `dpop: { replayStore: redisReplayStore({ client }) }`.
 * A claim is ONE `SET <prefix><key> 1 NX PX <ms>`, so of any number of instances claiming the same
 * proof at once exactly one is told "first use". The retention is relative (PX, from this
 * instance's clock) rather than absolute (PXAT, read by Redis's clock): a Redis clock ahead of
 * the instance's would otherwise drop a proof while the instance still accepts it. Every claim
 * rejects after `timeout`, and on any error or unexpected reply: never true on doubt.
 *
 * @example
 * ```ts
 * const client = createClient({ url: process.env.REDIS_URL });
 * app.use(jwtGuard({ ...keys, dpop: { replayStore: redisReplayStore({ client }) } }));
 * ```
 */
export function redisReplayStore(options: RedisReplayStoreOptions): RedisReplayStore {
  if (typeof options !== 'object' || options === null) throw configError('redisReplayStore needs { client }.');
  checkOptionNames(options, OPTION_NAMES, 'redisReplayStore');
  const client = checkClient(options.client, 'redisReplayStore');
  const prefix = keyPrefixOf(options.keyPrefix, 'jwt-guard:dpop:');
  const timeoutMs = timeoutMsOf(options.timeout);
  const { onError } = options;
  if (onError !== undefined && typeof onError !== 'function') throw configError('onError must be a function.');

  const onClientError = (error: Error) => onError?.(error);
  client.on('error', onClientError);
  const io = timedCommands(client, timeoutMs, (what) => new RedisReplayStoreError('redis_timeout', `Redis did not answer ${what} within ${timeoutMs} ms`));

  let closed = false;

  return {
    async claim(key, expiresAt) {
      // Closed: never reconnect the client behind the caller's back.
      if (closed) throw new RedisReplayStoreError('redis_error', 'redisReplayStore: the store is closed');
      if (typeof key !== 'string' || key === '') throw new TypeError('claim(key, expiresAt) needs the proof key.');
      if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) throw new TypeError('claim(key, expiresAt) needs an expiry (epoch seconds).');
      const retainMs = Math.max(Math.ceil(expiresAt * 1000 - Date.now()), MIN_RETENTION_MS);
      let reply: unknown;
      try {
        reply = await io.command(['SET', replayKey(prefix, key), '1', 'NX', 'PX', String(retainMs)], 'SET NX of the proof');
      } catch (cause) {
        if (cause instanceof RedisReplayStoreError) throw cause;
        throw new RedisReplayStoreError('redis_error', 'Redis failed to record the proof', { cause });
      }
      if (reply === 'OK') return true;
      if (reply === null) return false;
      throw new RedisReplayStoreError('unexpected_reply', 'Redis answered SET NX with neither OK nor nil');
    },
    async close() {
      closed = true;
      client.off('error', onClientError);
      await io.closeOwned();
    },
  };
}
