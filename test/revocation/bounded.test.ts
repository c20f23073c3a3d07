/**
 * Memory stays bounded: a million revoked jtis with 2–4 s expiries, written through the store
 * (`revokeMany`: batched MULTIs) into a real Redis and mirrored by a second instance over
 * pub/sub, leave nothing behind once expired — in either in-memory copy, and in Redis after a
 * cleanup. Entries expire while later ones are still being written, so what is held at any time
 * is what is live, not what was ever revoked.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisRevocationStore, type RedisRevocationStore } from '@jwt-guard/redis';
import { createClient, type RedisClient } from './support/redis-client.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { until } from './support/wait.js';

const COUNT = 1_000_000;
const CHUNKS = 20;

let redis: RedisServer;
let admin: RedisClient;

beforeAll(async () => {
  redis = await startRedisServer();
  admin = createClient({ url: redis.url });
  await admin.connect();
}, 30_000);

afterAll(async () => {
  await admin?.close();
  await redis?.stop();
});

const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await admin.info('memory'))?.[1]);
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

describe('a million short-lived revocations', () => {
  it('leave no entries behind, in either in-memory copy nor in Redis, once expired', async () => {
    const keyPrefix = `jwt-guard-test:${randomUUID()}`;
    const jtisKey = `${keyPrefix}:jtis`;
    // Every member but the list's marker (score +inf).
    const jtisInRedis = () => admin.zCount(jtisKey, '-inf', '(+inf');
    // expiryMargin 0: dropped at exp itself (the default keeps each entry 5 minutes longer).
    const writer: RedisRevocationStore = redisRevocationStore({ client: createClient({ url: redis.url }), keyPrefix, expiryMargin: 0 });
    const reader: RedisRevocationStore = redisRevocationStore({ client: createClient({ url: redis.url }), keyPrefix, expiryMargin: 0 });
    try {
      await Promise.all([writer.ready(), reader.ready()]);
      const redisBefore = await usedMemory();
      const peak = { writer: 0, reader: 0, redis: 0, redisMemory: 0 };

      const started = performance.now();
      let lastExp = 0;
      const perChunk = COUNT / CHUNKS;
      for (let chunk = 0; chunk < CHUNKS; chunk += 1) {
        const now = Math.floor(Date.now() / 1000);
        // Tokens that expire 2–4 s from now (exp is whole seconds: now + 3 or now + 4).
        const entries = Array.from({ length: perChunk }, (_, index) => [`jti-${chunk}-${index}`, now + 3 + (index % 2)] as const);
        lastExp = now + 4;
        await writer.revokeMany(entries);
        expect(writer.check({ jti: `jti-${chunk}-1` })).toBe('revoked');
        peak.writer = Math.max(peak.writer, writer.size());
        peak.reader = Math.max(peak.reader, reader.size());
        peak.redis = Math.max(peak.redis, await jtisInRedis());
        peak.redisMemory = Math.max(peak.redisMemory, await usedMemory());
      }
      const wroteMs = performance.now() - started;
      // The other instance got the last ones too.
      await until(() => reader.check({ jti: `jti-${CHUNKS - 1}-${perChunk - 1}` }) === 'revoked', 10_000);
      const mirroredMs = performance.now() - started;
      const zaddSeconds = Number(/cmdstat_zadd:calls=\d+,usec=(\d+)/.exec(await admin.info('commandstats'))?.[1]) / 1e6;

      // Once every token has expired: both copies are empty…
      await sleep(Math.max(0, (lastExp + 1) * 1000 - Date.now()));
      expect(writer.size()).toBe(0);
      expect(reader.size()).toBe(0);
      expect(reader.check({ jti: `jti-${CHUNKS - 1}-1` })).toBe('active');
      // …and Redis holds only what expired since the last write, until a write, a resync or
      // purgeExpired() drops it.
      const leftInRedis = await jtisInRedis();
      expect(leftInRedis).toBeLessThan(COUNT);
      expect(await writer.purgeExpired()).toEqual({ jtis: leftInRedis, subjects: 0 });
      expect(await jtisInRedis()).toBe(0);
      const redisAfter = await usedMemory();

      console.info(
        `1M revocations (2–4 s expiries) in ${CHUNKS} revokeMany calls: ${(wroteMs / 1000).toFixed(1)} s, ` +
          `in the other instance's copy after ${(mirroredMs / 1000).toFixed(1)} s ` +
          `(Redis ZADD time ${zaddSeconds.toFixed(1)} s); peak live entries: writer ${peak.writer}, reader ${peak.reader}, ` +
          `Redis ${peak.redis}; Redis used_memory ${mb(redisBefore)} → peak ${mb(peak.redisMemory)} → ${mb(redisAfter)}; ` +
          `after expiry: size() 0 in both copies, ${leftInRedis} expired members left in Redis until purgeExpired() → no jti left`,
      );
      expect(redisAfter - redisBefore).toBeLessThan(2 * 1024 * 1024);
    } finally {
      await Promise.all([writer.close(), reader.close()]);
    }
  }, 60_000);
});
