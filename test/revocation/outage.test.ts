/**
 * The store through a Redis outage, in one process: the in-memory copy answers for maxStaleness
 * after the disconnect, then `check` says 'unknown' (what the copy knows to be revoked stays
 * revoked); when Redis is back the copy is reloaded and answers resume. The verifier turns
 * 'unknown' into 503 (fail-closed) or lets the token through (fail-open).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier } from '@jwt-guard/core';
import { redisRevocationStore, type RedisRevocationEvent, type RedisRevocationStore } from '@jwt-guard/redis';
import { createTestIssuer, type TestIssuer } from '@jwt-guard/testing';
import { createClient } from './support/redis-client.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { outcome, until } from './support/wait.js';

const MAX_STALENESS_MS = 1000;
const now = () => Math.floor(Date.now() / 1000);

let redis: RedisServer;
let issuer: TestIssuer;

beforeAll(async () => {
  redis = await startRedisServer();
  issuer = await createTestIssuer({ algorithm: 'ES256', serveJwks: false });
}, 30_000);

afterAll(async () => {
  await redis?.stop();
  await issuer?.close();
});

describe('a Redis outage', () => {
  it('copy within maxStaleness, unknown after, resync when Redis is back', async () => {
    const keyPrefix = `jwt-guard-test:${randomUUID()}`;
    const events: RedisRevocationEvent[] = [];
    const unavailable: string[] = [];
    const client = createClient({ url: redis.url });
    const store: RedisRevocationStore = redisRevocationStore({
      client,
      keyPrefix,
      maxStaleness: MAX_STALENESS_MS / 1000,
      onEvent: (event) => events.push(event),
    });
    const failClosed = createVerifier({ ...issuer.verifierOptions(), revocation: { store } });
    const failOpen = createVerifier({
      ...issuer.verifierOptions(),
      revocation: { store, whenUnavailable: 'fail-open', onUnavailable: (event) => void unavailable.push(event.decision) },
    });
    try {
      await store.ready();
      expect(events).toContainEqual(expect.objectContaining({ type: 'synced', initial: true, jtis: 0, subjects: 0 }));
      await store.revoke('known-revoked', now() + 300);
      const good = await issuer.sign({ sub: 'u1' });
      const revoked = await issuer.sign({ sub: 'u2', jti: 'known-revoked' });

      await redis.kill();
      const killedAt = Date.now();
      await until(() => store.state() === 'disconnected', 1_000);
      expect(events).toContainEqual(expect.objectContaining({ type: 'disconnected' }));
      // Within maxStaleness: answered from the copy.
      expect(store.check({ jti: 'anything' })).toBe('active');
      expect(await outcome(failClosed.verify(good))).toBe('accepted');
      expect(await outcome(failClosed.verify(revoked))).toBe('token_revoked');
      // Writes while Redis is down apply here at once, and wait in node-redis's offline queue.
      await until(() => !client.isReady, 1_000);
      const pendingWrite = store.revoke('while-down', now() + 300);
      pendingWrite.catch(() => undefined);
      expect(store.check({ jti: 'while-down' })).toBe('revoked');
      expect(Date.now() - killedAt).toBeLessThan(MAX_STALENESS_MS);

      // Past maxStaleness: 'unknown', except what is known to be revoked.
      await until(() => store.state() === 'stale', MAX_STALENESS_MS + 1_000);
      expect(store.check({ jti: 'anything' })).toBe('unknown');
      expect(store.check({ jti: 'known-revoked' })).toBe('revoked');
      expect(await outcome(failClosed.verify(good))).toBe('revocation_unavailable');
      expect(await outcome(failOpen.verify(good))).toBe('accepted');
      expect(unavailable).toEqual(['fail-open']);
      expect(await outcome(failOpen.verify(revoked))).toBe('token_revoked');
      expect(events).toContainEqual(expect.objectContaining({ type: 'stale' }));

      // Another instance's write lands in Redis while this one is still disconnected.
      const seen = events.length;
      await until(() => events.slice(seen).some((event) => event.type === 'error' && event.source === 'subscriber'), 5_000);
      await redis.restart();
      const other = createClient({ url: redis.url });
      await other.connect();
      await other.zAdd(`${keyPrefix}:jtis`, { score: now() + 300, value: 'written-elsewhere' });
      await other.close();
      expect(store.state()).toBe('stale');

      await until(() => store.state() === 'live', 10_000);
      expect(events.filter((event) => event.type === 'synced')).toHaveLength(2);
      expect(store.check({ jti: 'written-elsewhere' })).toBe('revoked');
      expect(store.check({ jti: 'anything' })).toBe('active');
      expect(await outcome(failClosed.verify(good))).toBe('accepted');
      // The write queued while Redis was down went through on reconnect.
      await pendingWrite;
      await until(() => store.check({ jti: 'while-down' }) === 'revoked', 1_000);
    } finally {
      await store.close(); // and the client, which the store opened
    }
  }, 30_000);

  it('a connection that stays up but goes silent counts as unreachable too (heartbeat)', async () => {
    const keyPrefix = `jwt-guard-test:${randomUUID()}`;
    const events: RedisRevocationEvent[] = [];
    const store = redisRevocationStore({
      client: createClient({ url: redis.url }),
      keyPrefix,
      maxStaleness: MAX_STALENESS_MS / 1000,
      onEvent: (event) => events.push(event),
    });
    const admin = createClient({ url: redis.url });
    try {
      await Promise.all([store.ready(), admin.connect()]);
      // Redis stops answering every client, without closing a connection (as a partition would).
      await admin.sendCommand(['CLIENT', 'PAUSE', '3500', 'ALL']);
      const pausedAt = Date.now();
      expect(store.check({ jti: 'a' })).toBe('active');
      await until(() => store.check({ jti: 'a' }) === 'unknown', 3_000);
      const silentFor = Date.now() - pausedAt;
      // maxStaleness after Redis was last heard: the last heartbeat reply (PINGs go every
      // maxStaleness / 4) or the load, just before the pause.
      expect(silentFor).toBeGreaterThanOrEqual(MAX_STALENESS_MS - MAX_STALENESS_MS / 4 - 150);
      expect(silentFor).toBeLessThan(MAX_STALENESS_MS + 500);
      expect(store.state()).toBe('stale');
      expect(events).toContainEqual(expect.objectContaining({ type: 'stale' }));
      expect(events.some((event) => event.type === 'disconnected')).toBe(false);
      // Redis answers again: so does the store, without a reload (nothing was lost on the way).
      await until(() => store.check({ jti: 'a' }) === 'active', 5_000);
      expect(store.state()).toBe('live');
      expect(events.filter((event) => event.type === 'synced')).toHaveLength(1);
    } finally {
      await store.close();
      await admin.close();
    }
  }, 20_000);
});
