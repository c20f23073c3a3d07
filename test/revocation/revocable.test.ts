/**
 * Every token a verifier with the Redis store accepts can be revoked until it expires, on every
 * instance: numeric `jti`/`sub` by their decimal form, `revokeToken` on a token without `jti`, and
 * no subject revocation that ages out of Redis (`maxTokenLifetime`) while a token it names is
 * still valid — such tokens are refused up front. Against a real redis-server started here.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, revocationAdmin, type Verifier } from '@jwt-guard/core';
import { redisRevocationStore, type RedisRevocationStore, type RedisRevocationStoreOptions } from '@jwt-guard/redis';
import { createTestIssuer, type TestIssuer } from '@jwt-guard/testing';
import { createClient, type RedisClient } from './support/redis-client.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { outcome, until } from './support/wait.js';

const HOUR = 3600;
const DAY = 24 * HOUR;
const now = () => Math.floor(Date.now() / 1000);

let redis: RedisServer;
let redisAdmin: RedisClient;
let issuer: TestIssuer;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  redis = await startRedisServer();
  redisAdmin = createClient({ url: redis.url });
  await redisAdmin.connect();
  issuer = await createTestIssuer({ algorithm: 'ES256', serveJwks: false });
}, 30_000);

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

afterAll(async () => {
  await redisAdmin?.close();
  await redis?.stop();
  await issuer?.close();
});

interface Instance {
  store: RedisRevocationStore;
  verifier: Verifier;
}

/** Two API instances sharing one denylist (one key prefix), each with its own store and verifier. */
async function twoInstances(options: Partial<RedisRevocationStoreOptions> = {}): Promise<[Instance, Instance, string]> {
  const keyPrefix = `jwt-guard-test:${randomUUID()}`;
  const instances = [0, 1].map((): Instance => {
    const store = redisRevocationStore({ client: createClient({ url: redis.url }), keyPrefix, ...options });
    cleanups.push(() => store.close());
    return { store, verifier: createVerifier({ ...issuer.verifierOptions(), revocation: { store }, tokenCache: false }) };
  });
  await Promise.all(instances.map(({ store }) => store.ready()));
  return [instances[0]!, instances[1]!, keyPrefix];
}

describe('with redisRevocationStore, every accepted token can be revoked until it expires', () => {
  it('revokes a numeric jti and a numeric sub by their decimal form, on every instance', async () => {
    const [one, two, keyPrefix] = await twoInstances();
    const admin = revocationAdmin(one.verifier, one.store);
    const [seven, fortyTwo] = await Promise.all([issuer.sign({ jti: 7 }), issuer.sign({ sub: 42, iat: now() - 5 })]);
    for (const { verifier } of [one, two]) {
      expect(await outcome(verifier.verify(seven))).toBe('accepted');
      expect(await outcome(verifier.verify(fortyTwo))).toBe('accepted');
    }
    await admin.revokeJti('7', now() + 300);
    await admin.revokeSubject(42);
    expect(await redisAdmin.zScore(`${keyPrefix}:jtis`, '7')).not.toBeNull();
    expect(await redisAdmin.hGet(`${keyPrefix}:subjects`, '42')).not.toBeNull();
    await until(() => two.store.size() === 2);
    for (const { verifier } of [one, two]) {
      expect(await outcome(verifier.verify(seven))).toBe('token_revoked');
      expect(await outcome(verifier.verify(fortyTwo))).toBe('token_revoked');
    }
  });

  it('revokeToken revokes a token without jti by its subject up to its iat, on every instance', async () => {
    const [one, two, keyPrefix] = await twoInstances();
    const admin = revocationAdmin(one.verifier, one.store);
    const iat = now() - 10;
    const leaked = await issuer.sign({ sub: 'frank', iat }, { jti: null });
    const later = await issuer.sign({ sub: 'frank', iat: iat + 5 }, { jti: null });
    expect(await admin.revokeToken(leaked)).toBe('revoked');
    expect(await redisAdmin.hGet(`${keyPrefix}:subjects`, 'frank')).toBe(String(iat + 1));
    await until(() => two.store.size() === 1);
    for (const { verifier } of [one, two]) {
      expect(await outcome(verifier.verify(leaked))).toBe('token_revoked');
      expect(await outcome(verifier.verify(later))).toBe('accepted');
    }
  });

  it("declares its maxTokenLifetime; a subject's token that would outlive it in Redis, or has no iat, is refused", async () => {
    const [{ store, verifier }] = await twoInstances();
    expect(store.maxTokenLifetime).toBe(DAY);
    const tenDays = await issuer.sign({ sub: 'grace', iat: now() - 60, exp: now() + 10 * DAY });
    await expect(verifier.verify(tenDays)).rejects.toMatchObject({ code: 'claim_invalid', hint: expect.stringMatching(/raise maxTokenLifetime/) as unknown });
    await expect(verifier.verify(await issuer.sign({ sub: 'grace' }, { issuedAt: null }))).rejects.toMatchObject({ code: 'claim_missing' });
    // Without a sub, its jti names it, and a jti revocation lives until exp whatever the lifetime.
    expect(await outcome(verifier.verify(await issuer.sign({ sub: undefined, exp: now() + 10 * DAY })))).toBe('accepted');
  });

  it('with maxTokenLifetime raised past the longest token, the subject revocation outlives it in Redis', async () => {
    const [one, two, keyPrefix] = await twoInstances({ maxTokenLifetime: '11d' });
    expect(one.store.maxTokenLifetime).toBe(11 * DAY);
    const iat = now() - HOUR;
    const exp = iat + 10 * DAY;
    const tenDays = await issuer.sign({ sub: 'heidi', iat, exp });
    expect(await outcome(one.verifier.verify(tenDays))).toBe('accepted');
    await revocationAdmin(one.verifier, one.store).revokeSubject('heidi');
    // Redis keeps it until issuedBefore + the largest maxTokenLifetime + expiryMargin of the instances.
    const issuedBefore = Number(await redisAdmin.zScore(`${keyPrefix}:subjects:expiry`, 'heidi'));
    const meta = await redisAdmin.hGetAll(`${keyPrefix}:meta`);
    expect(Number(meta.lifetime)).toBe(11 * DAY);
    expect(issuedBefore + Number(meta.lifetime) + Number(meta.margin)).toBeGreaterThan(exp);
    await until(() => two.store.size() === 1);
    for (const { verifier } of [one, two]) expect(await outcome(verifier.verify(tenDays))).toBe('token_revoked');
  });

  it('refuses a maxTokenLifetime of zero at start-up', () => {
    expect(() => redisRevocationStore({ client: createClient({ url: redis.url }), maxTokenLifetime: 0 })).toThrow(/maxTokenLifetime must be greater than zero/);
  });
});
