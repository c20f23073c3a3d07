/** A Redis that is gone or hangs: sessions answer 503 session_store_unavailable within the store's timeout, never hang. */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { redisSessionStore, RedisSessionStoreError } from '@jwt-guard/redis';
import { createSessions, isSessionError } from '@jwt-guard/session';
import { createClient } from '../revocation/support/redis-client.js';
import { redisBehindProxy } from '../revocation/support/redis-behind-proxy.js';
import { codeOf, ISSUER } from './support.js';

const TIMEOUT_MS = 300;
const servers = redisBehindProxy();

/** Sessions on a Redis session store reached at `url`, with a 300 ms timeout. */
function sessionsAt(url: string) {
  const client = createClient({ url, socket: { reconnectStrategy: 50 } });
  const errors: Error[] = [];
  const store = redisSessionStore({ client, keyPrefix: `jwt-guard-test:${randomUUID()}`, timeout: TIMEOUT_MS / 1000, onError: (error) => errors.push(error) });
  const sessions = createSessions({ ...ISSUER, store });
  return { sessions, client, errors };
}

/** What a refresh answers, and after how long. */
async function timedRefresh(sessions: ReturnType<typeof sessionsAt>['sessions'], refreshToken: string) {
  const started = performance.now();
  const failure = await sessions.refresh(refreshToken).then(() => undefined, (error: unknown) => error);
  return { failure, elapsedMs: performance.now() - started };
}

describe('redisSessionStore when Redis fails', () => {
  it('a Redis that accepts and never answers: refresh is a 503 within the timeout, and works again once Redis answers', async () => {
    const { sessions, client } = sessionsAt(servers.proxy.url);
    try {
      const { refreshToken } = await sessions.login({ subject: 'u' });
      servers.proxy.silent();
      const { failure, elapsedMs } = await timedRefresh(sessions, refreshToken);
      expect(isSessionError(failure) && [failure.code, failure.status]).toEqual(['session_store_unavailable', 503]);
      expect(isSessionError(failure) && failure.cause instanceof RedisSessionStoreError && failure.cause.code).toBe('redis_timeout');
      expect(elapsedMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 10);
      expect(elapsedMs).toBeLessThan(TIMEOUT_MS + 700);
      servers.proxy.forward();
      expect(await codeOf(sessions.refresh(refreshToken))).toBe('ok');
    } finally {
      servers.proxy.forward();
      client.destroy();
    }
  });

  it('a killed Redis: refresh and login are 503s within the timeout, and client errors go to onError, not a crash', async () => {
    const { sessions, client, errors } = sessionsAt(servers.redis.url);
    try {
      const { refreshToken } = await sessions.login({ subject: 'u' });
      await servers.redis.kill();
      const { failure, elapsedMs } = await timedRefresh(sessions, refreshToken);
      expect(isSessionError(failure) && [failure.code, failure.status]).toEqual(['session_store_unavailable', 503]);
      expect(elapsedMs).toBeLessThan(TIMEOUT_MS + 700);
      expect(await codeOf(sessions.login({ subject: 'v' }))).toBe('session_store_unavailable');
      expect(errors.length).toBeGreaterThan(0);
    } finally {
      client.destroy();
      await servers.redis.restart();
    }
  });
});
