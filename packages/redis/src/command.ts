import { durationToSeconds, type Duration } from '@jwt-guard/core';
import type { RedisRevocationClient } from './client.js';
import { configError } from './errors.js';

/** Default reply types (strings), whatever `typeMapping` the caller's client has. */
const PLAIN = { typeMapping: {} };

/** Checks that `client` looks like a node-redis v5 client; throws `config_invalid` naming `store`. */
export function checkClient(client: unknown, store: string): RedisRevocationClient {
  const candidate = client as Partial<RedisRevocationClient> | null;
  if (typeof candidate !== 'object' || candidate === null || typeof candidate.sendCommand !== 'function' || typeof candidate.connect !== 'function') {
    throw configError(`${store} needs { client }: a node-redis v5 client, createClient({ url }) from 'redis'.`);
  }
  return client as RedisRevocationClient;
}

/** The `keyPrefix` option, or `fallback`; throws `config_invalid` when it is not a non-empty string. */
export function keyPrefixOf(prefix: unknown, fallback: string): string {
  const value = prefix ?? fallback;
  if (typeof value !== 'string' || value === '') throw configError('keyPrefix must be a non-empty string.');
  return value;
}

/** The `timeout` option in milliseconds (default 2 s, the same for every store of this package). */
export function timeoutMsOf(timeout: Duration | undefined): number {
  const timeoutMs = durationToSeconds(timeout ?? '2s', 'timeout') * 1000;
  if (!(timeoutMs > 0)) throw configError('timeout must be greater than zero: how long a call waits for Redis.');
  return timeoutMs;
}

/**
 * Commands on `client` that each reject once Redis has not answered within `timeoutMs` (with the
 * error `timedOut(what)` makes), so that a hanging Redis is a 503, never a hung request. The
 * client is connected on first use if nobody has; `ownsClient` then tells `close()` to close it.
 */
export function timedCommands(client: RedisRevocationClient, timeoutMs: number, timedOut: (what: string) => Error) {
  let ownsClient = false;
  let connecting: Promise<unknown> | undefined;

  /** Opens the client once if nobody has (another store sharing it may be connecting it too). */
  function opened(): Promise<unknown> {
    if (client.isOpen) return Promise.resolve();
    connecting ??= client.connect().then(
      () => (ownsClient = true),
      (error: unknown) => {
        connecting = undefined;
        if (!client.isOpen) throw error; // "already open": someone else connected it meanwhile
      },
    );
    return connecting;
  }

  async function command(args: string[], what: string): Promise<unknown> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(timedOut(what)), timeoutMs);
    });
    try {
      return await Promise.race([opened().then(() => client.sendCommand(args, PLAIN)), expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes the client if the store opened it: at once (destroy) when it is not ready, where close() would wait on Redis. */
  async function closeOwned(): Promise<void> {
    if (!ownsClient || !client.isOpen) return;
    if (client.isReady) await client.close();
    else client.destroy();
  }

  return { command, closeOwned };
}
