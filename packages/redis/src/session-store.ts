import { checkOptionNames, durationToSeconds, type Duration } from '@jwt-guard/core';
import type { SessionFamily, SessionStore } from '@jwt-guard/session';
import type { RedisRevocationClient } from './client.js';
import { configError } from './errors.js';
import { familyExpiry, parseFamily } from './session-family.js';
import { RedisSessionStoreError } from './session-errors.js';
import { REVOKE_SUBJECT_SESSIONS, UPDATE_FAMILY } from './session-scripts.js';

export interface RedisSessionStoreOptions {
  /** A node-redis v5 client (`createClient({ url })`), the same type the revocation store takes; connected by the store if it is not open yet. */
  client: RedisRevocationClient;
  /** Prefix of every key: `<keyPrefix>:family:<familyId>` and `<keyPrefix>:subject:<subject>`. Default `'jwt-guard:sessions'`. */
  keyPrefix?: string;
  /** How long any one call waits for Redis before rejecting (sessions then answer 503). Default `'2s'`. */
  timeout?: Duration;
  /**
   * How long a subject's "log out everywhere" cutoff is kept: at least the `familyLifetime` of
   * your `createSessions` (a family living longer is refused at login). Default `'30d'`.
   */
  maxFamilyLifetime?: Duration;
  /** Errors of `client` (a listener is attached so that they never crash the process). */
  onError?: (error: Error) => void;
}

export interface RedisSessionStore extends SessionStore {
  /** Removes the error listener, and closes the client if the store opened it. */
  close(): Promise<void>;
}

const OPTION_NAMES = ['client', 'keyPrefix', 'timeout', 'maxFamilyLifetime', 'onError'] as const;
/** Default reply types (strings), whatever `typeMapping` the caller's client has. */
const PLAIN = { typeMapping: {} };

function resolveSessionOptions(options: RedisSessionStoreOptions) {
  if (typeof options !== 'object' || options === null) throw configError('redisSessionStore needs { client }.');
  checkOptionNames(options, OPTION_NAMES, 'redisSessionStore');
  const { client, onError } = options;
  if (typeof client !== 'object' || client === null || typeof client.sendCommand !== 'function' || typeof client.connect !== 'function') {
    throw configError("redisSessionStore needs { client }: a node-redis v5 client, createClient({ url }) from 'redis'.");
  }
  const prefix = options.keyPrefix ?? 'jwt-guard:sessions';
  if (typeof prefix !== 'string' || prefix === '') throw configError('keyPrefix must be a non-empty string.');
  const timeoutMs = durationToSeconds(options.timeout ?? '2s', 'timeout') * 1000;
  if (!(timeoutMs > 0)) throw configError('timeout must be greater than zero: how long a call waits for Redis.');
  const maxFamilyLifetimeMs = durationToSeconds(options.maxFamilyLifetime ?? '30d', 'maxFamilyLifetime') * 1000;
  if (!(maxFamilyLifetimeMs > 0)) throw configError('maxFamilyLifetime must be greater than zero: the longest familyLifetime of your sessions.');
  if (onError !== undefined && typeof onError !== 'function') throw configError('onError must be a function.');
  return { client, onError, prefix, timeoutMs, maxFamilyLifetimeMs: Math.ceil(maxFamilyLifetimeMs) };
}

/**
 * Refresh-token families in Redis, shared by every instance of an app: `createSessions({ store })`.
 * A family is one JSON string that Redis drops at its idle deadline (never past its absolute end);
 * `update` is one Lua compare-and-set, so of two instances refreshing the same token exactly one
 * rotates. Every call rejects after `timeout`, so a hanging Redis is a 503, never a hung request.
 *
 * @example
 * ```ts
 * const client = createClient({ url: process.env.REDIS_URL });
 * const sessions = createSessions({ ...keys, store: redisSessionStore({ client }), revocation: redisRevocationStore({ client }) });
 * ```
 */
export function redisSessionStore(options: RedisSessionStoreOptions): RedisSessionStore {
  const { client, onError, prefix, timeoutMs, maxFamilyLifetimeMs } = resolveSessionOptions(options);
  const familyKey = (familyId: string) => `${prefix}:family:${familyId}`;
  const subjectKey = (subject: string) => `${prefix}:subject:${subject}`;
  const onClientError = (error: Error) => onError?.(error);
  client.on('error', onClientError);

  let ownsClient = false;
  let connecting: Promise<unknown> | undefined;
  /** Opens the client once if nobody has (the revocation store sharing it may be connecting it too). */
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

  /** One command, rejected with `redis_timeout` when Redis has not answered within `timeout`. */
  async function command(args: string[], what: string): Promise<unknown> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RedisSessionStoreError('redis_timeout', `Redis did not answer ${what} within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([opened().then(() => client.sendCommand(args, PLAIN)), expired]);
    } catch (cause) {
      if (cause instanceof RedisSessionStoreError) throw cause;
      if (cause instanceof Error && cause.message.startsWith('JWTGUARD_CORRUPT')) {
        throw new RedisSessionStoreError('corrupt_record', 'the stored session family is not a family record', { cause });
      }
      throw cause;
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    async get(familyId) {
      const stored = await command(['GET', familyKey(familyId)], 'GET family');
      if (stored === null) return undefined;
      if (typeof stored !== 'string') throw new RedisSessionStoreError('corrupt_record', 'the stored session family is not a string');
      return parseFamily(familyId, stored);
    },
    async create(family: SessionFamily) {
      if (family.expiresAt - family.createdAt > maxFamilyLifetimeMs) {
        throw new RedisSessionStoreError(
          'family_lifetime_exceeded',
          `this family lives longer than maxFamilyLifetime (${maxFamilyLifetimeMs} ms): raise redisSessionStore's maxFamilyLifetime to at least createSessions' familyLifetime`,
        );
      }
      const reply = await command(['SET', familyKey(family.familyId), JSON.stringify(family), 'NX', 'PXAT', String(familyExpiry(family))], 'SET family');
      if (reply === null) throw new RedisSessionStoreError('family_exists', 'a family with this id is already stored; nothing was written');
    },
    async update(familyId, expectedVersion, family) {
      const reply = await command(
        ['EVAL', UPDATE_FAMILY, '1', familyKey(familyId), String(expectedVersion), JSON.stringify(family), String(familyExpiry(family)), familyId],
        'the family compare-and-set',
      );
      return Number(reply) === 1;
    },
    async delete(familyId) {
      await command(['DEL', familyKey(familyId)], 'DEL family');
    },
    async revokeSubject(subject, at) {
      await command(['EVAL', REVOKE_SUBJECT_SESSIONS, '1', subjectKey(subject), String(at), String(maxFamilyLifetimeMs)], 'the subject cutoff');
    },
    async subjectCutoff(subject) {
      const stored = await command(['GET', subjectKey(subject)], 'GET subject cutoff');
      if (stored === null) return undefined;
      const cutoff = Number(stored);
      if (!Number.isFinite(cutoff)) throw new RedisSessionStoreError('corrupt_record', 'the stored subject cutoff is not a number');
      return cutoff;
    },
    async close() {
      client.off('error', onClientError);
      if (ownsClient && client.isOpen) await client.close();
    },
  };
}
