import { durationToSeconds } from '@jwt-guard/core';
import { configError } from './errors.js';
import type { RedisRevocationStoreOptions } from './types.js';

const DEFAULT_PREFIX = 'jwt-guard:revocation';

/** The options checked, with their defaults; throws `config_invalid` saying what to change. */
export function resolveOptions(options: RedisRevocationStoreOptions) {
  if (typeof options !== 'object' || options === null) throw configError('redisRevocationStore needs { client }.');
  const { client, onEvent } = options;
  if (typeof client !== 'object' || client === null || typeof client.duplicate !== 'function' || typeof client.sendCommand !== 'function') {
    throw configError("redisRevocationStore needs { client }: a node-redis v5 client, createClient({ url }) from 'redis'.");
  }
  const prefix = options.keyPrefix ?? DEFAULT_PREFIX;
  if (typeof prefix !== 'string' || prefix === '') throw configError('keyPrefix must be a non-empty string.');
  const maxStalenessMs = durationToSeconds(options.maxStaleness ?? '10s', 'maxStaleness') * 1000;
  // The heartbeat goes every maxStaleness / 4: below this a working connection would look stale.
  if (!(maxStalenessMs >= 100)) throw configError("maxStaleness must be at least 0.1 s ('100ms' is too short to hear from a working Redis in between).");
  const maxTokenLifetime = durationToSeconds(options.maxTokenLifetime ?? '24h', 'maxTokenLifetime');
  if (!(maxTokenLifetime > 0)) throw configError('maxTokenLifetime must be greater than zero: the longest lifetime of the tokens you accept.');
  const expiryMargin = durationToSeconds(options.expiryMargin ?? '5m', 'expiryMargin');
  if (!(expiryMargin >= 0)) throw configError("expiryMargin must be zero or more: how long past a token's exp its revocation is kept.");
  const maxEntries = options.maxEntries ?? 5_000_000;
  if (!Number.isSafeInteger(maxEntries) || maxEntries <= 0) throw configError('maxEntries must be a positive integer.');
  if (onEvent !== undefined && typeof onEvent !== 'function') throw configError('onEvent must be a function.');
  return { client, onEvent, prefix, maxStalenessMs, maxTokenLifetime, expiryMargin, maxEntries };
}

/** Runs the tasks, at most `concurrency` at a time. */
export async function inParallel(tasks: ReadonlyArray<() => Promise<void>>, concurrency: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) await tasks[next++]?.();
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, worker));
}
