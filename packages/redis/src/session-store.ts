import { checkOptionNames, durationToSeconds, type Duration } from '@jwt-guard/core';
import type { SessionFamily, SessionStore } from '@jwt-guard/session';
import type { RedisRevocationClient } from './client.js';
import { checkClient, keyPrefixOf, timedCommands, timeoutMsOf } from './command.js';
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

function resolveSessionOptions(options: RedisSessionStoreOptions) {
  if (typeof options !== 'object' || options === null) throw configError('redisSessionStore needs { client }.');
  checkOptionNames(options, OPTION_NAMES, 'redisSessionStore');
  const client = checkClient(options.client, 'redisSessionStore');
  const { onError } = options;
  const prefix = keyPrefixOf(options.keyPrefix, 'jwt-guard:sessions');
  const timeoutMs = timeoutMsOf(options.timeout);
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

  const io = timedCommands(client, timeoutMs, (what) => new RedisSessionStoreError('redis_timeout', `Redis did not answer ${what} within ${timeoutMs} ms`));

  /** One command, rejected with `redis_timeout` when Redis has not answered within `timeout`. */
  async function command(args: string[], what: string): Promise<unknown> {
    try {
      return await io.command(args, what);
    } catch (cause) {
      if (cause instanceof Error && cause.message.startsWith('JWTGUARD_CORRUPT')) {
        throw new RedisSessionStoreError('corrupt_record', 'the stored session family is not a family record', { cause });
      }
      throw cause;
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
      await io.closeOwned();
    },
  };
}
