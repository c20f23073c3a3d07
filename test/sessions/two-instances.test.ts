/**
 * Two app instances: two `createSessions`, each with its own Redis clients, sharing one Redis
 * through redisSessionStore and a @jwt-guard/redis revocation store, and a guard on each.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuard, type GuardOutcome } from '@jwt-guard/core';
import { redisRevocationStore, redisSessionStore, type RedisRevocationStore, type RedisSessionStore } from '@jwt-guard/redis';
import { createSessions, type Sessions } from '@jwt-guard/session';
import { createClient } from '../revocation/support/redis-client.js';
import { startRedisServer, type RedisServer } from '../revocation/support/redis-server.js';
import { codeOf, cookiePair, ISSUER } from './support.js';

const REUSE_INTERVAL_MS = 300;
const keyPrefix = `jwt-guard-test:${randomUUID()}`;
let redis: RedisServer;

interface Instance {
  sessions: Sessions;
  store: RedisSessionStore;
  revocation: RedisRevocationStore;
  /** What this instance's guard says of an access token sent in the session's cookie. */
  authenticate(setCookies: readonly string[]): GuardOutcome | Promise<GuardOutcome>;
  stop(): Promise<void>;
}
let a: Instance;
let b: Instance;

async function startInstance(): Promise<Instance> {
  const client = createClient({ url: redis.url });
  const revocation = redisRevocationStore({ client, keyPrefix: `${keyPrefix}:revocation` });
  const store = redisSessionStore({ client, keyPrefix: `${keyPrefix}:sessions` });
  await revocation.ready();
  const sessions = createSessions({ ...ISSUER, store, revocation, refreshReuseInterval: REUSE_INTERVAL_MS / 1000 });
  const guard = createGuard(sessions.guardOptions());
  return {
    sessions,
    store,
    revocation,
    authenticate: (setCookies) => guard.authenticate({ method: 'GET', url: '/api/orders', headers: { cookie: cookiePair(setCookies[0]) } }),
    stop: async () => {
      await store.close();
      await revocation.close(); // closes the client it opened
    },
  };
}

beforeAll(async () => {
  redis = await startRedisServer();
  [a, b] = await Promise.all([startInstance(), startInstance()]);
});

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await redis?.stop();
});

const outcomeOf = async (instance: Instance, setCookies: readonly string[]) => {
  const outcome = await instance.authenticate(setCookies);
  return outcome.type === 'rejected' ? outcome.error.code : outcome.type;
};

describe('two instances sharing Redis', () => {
  it('a login on A refreshes on B, and the rotated token on A again', async () => {
    const login = await a.sessions.login({ subject: `u-${randomUUID()}` });
    const onB = await b.sessions.refresh(login.refreshToken);
    expect(onB.refreshToken).not.toBe(login.refreshToken);
    expect(await outcomeOf(b, onB.setCookies)).toBe('authenticated');
    const onA = await a.sessions.refresh(onB.refreshToken);
    expect(await outcomeOf(a, onA.setCookies)).toBe('authenticated');
  });

  it('a rotated token replayed on A after the reuse interval kills the family on B too, and B refuses its access tokens', async () => {
    const login = await a.sessions.login({ subject: `u-${randomUUID()}` });
    const rotated = await b.sessions.refresh(login.refreshToken);
    expect([await outcomeOf(b, login.setCookies), await outcomeOf(b, rotated.setCookies)]).toEqual(['authenticated', 'authenticated']);
    await sleep(REUSE_INTERVAL_MS + 100);
    expect(await codeOf(a.sessions.refresh(login.refreshToken))).toBe('refresh_token_reused');
    expect(await codeOf(b.sessions.refresh(rotated.refreshToken))).toBe('session_expired');
    // The subject revocation reaches B's copy over pub/sub: poll until it did (or 1 s passed).
    const outcomes = async () => [await outcomeOf(b, login.setCookies), await outcomeOf(b, rotated.setCookies)];
    const deadline = Date.now() + 1_000;
    let seen = await outcomes();
    while (!seen.every((code) => code === 'token_revoked') && Date.now() < deadline) {
      await sleep(10);
      seen = await outcomes();
    }
    expect(seen).toEqual(['token_revoked', 'token_revoked']);
  });

  it('the same token refreshed at once on A and B: one rotation wins the compare-and-set, the other joins it in the reuse interval', async () => {
    for (let round = 0; round < 5; round++) {
      const login = await a.sessions.login({ subject: `u-${randomUUID()}` });
      const familyId = login.refreshToken.split('.')[0] ?? '';
      const [onA, onB] = await Promise.all([a.sessions.refresh(login.refreshToken), b.sessions.refresh(login.refreshToken)]);
      const stored = await a.store.get(familyId);
      // Two independent rotations would leave version 2 and one live token: one of the two answers lost.
      expect(stored?.version).toBe(3);
      expect(stored?.current).toHaveLength(2);
      expect(stored?.previous?.hashes).toHaveLength(1);
      expect(onA.refreshToken).not.toBe(onB.refreshToken);
      expect(await codeOf(b.sessions.refresh(onA.refreshToken))).toBe('ok');
    }
  });
});
