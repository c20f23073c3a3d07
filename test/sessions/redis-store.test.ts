/** redisSessionStore against a real redis-server: the shared contract, then what only Redis does (keys, expiry, bad data). */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isJwtGuardError } from '@jwt-guard/core';
import { redisSessionStore, RedisSessionStoreError, type RedisSessionStore } from '@jwt-guard/redis';
import { createSessions, isSessionError } from '@jwt-guard/session';
import { createClient, type RedisClient } from '../revocation/support/redis-client.js';
import { startRedisServer, type RedisServer } from '../revocation/support/redis-server.js';
import { familyOf, sessionStoreContract } from './store-contract.js';

const keyPrefix = `jwt-guard-test:${randomUUID()}`;
let redis: RedisServer;
let client: RedisClient;
let store: RedisSessionStore;

beforeAll(async () => {
  redis = await startRedisServer();
  client = createClient({ url: redis.url });
  store = redisSessionStore({ client, keyPrefix, maxFamilyLifetime: '1h' }); // connects the client itself
});

afterAll(async () => {
  await store?.close();
  await redis?.stop();
});

sessionStoreContract('redisSessionStore', () => store);

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: unknown) => (error instanceof RedisSessionStoreError ? error.code : String(error)),
  );

describe('redisSessionStore in Redis', () => {
  it('keeps a family as JSON under <keyPrefix>:family:<id>, expiring at its idle deadline, moved by every update but never past expiresAt', async () => {
    const family = familyOf('u', { expiresAt: Date.now() + 40_000, idleExpiresAt: Date.now() + 20_000 });
    await store.create(family);
    const key = `${keyPrefix}:family:${family.familyId}`;
    expect(JSON.parse(String(await client.get(key)))).toEqual(family);
    expect(await client.pTTL(key)).toBeGreaterThan(19_000);
    expect(await client.pTTL(key)).toBeLessThanOrEqual(20_000);
    await store.update(family.familyId, 1, { ...family, idleExpiresAt: Date.now() + 30_000, version: 2 });
    expect(await client.pTTL(key)).toBeGreaterThan(29_000);
    await store.update(family.familyId, 2, { ...family, idleExpiresAt: Date.now() + 90_000, version: 3 }); // past expiresAt
    expect(await client.pTTL(key)).toBeLessThanOrEqual(40_000);
  });

  it("keeps a subject's cutoff under <keyPrefix>:subject:<subject> for maxFamilyLifetime", async () => {
    await store.revokeSubject('logged-out', Date.now());
    const ttl = await client.pTTL(`${keyPrefix}:subject:logged-out`);
    expect(ttl).toBeGreaterThan(3_590_000);
    expect(ttl).toBeLessThanOrEqual(3_600_000);
  });

  it('refuses a family id that is already stored, and leaves the stored family as it was', async () => {
    const family = familyOf('u');
    await store.create(family);
    expect(await codeOf(store.create({ ...family, subject: 'intruder' }))).toBe('family_exists');
    expect((await store.get(family.familyId))?.subject).toBe('u');
  });

  it('refuses a family living longer than maxFamilyLifetime (its subject cutoff could expire first)', async () => {
    const family = familyOf('u', { expiresAt: Date.now() + 2 * 3_600_000 });
    expect(await codeOf(store.create(family))).toBe('family_lifetime_exceeded');
    expect(await store.get(family.familyId)).toBeUndefined();
  });

  it.each([
    ['not JSON', '{"familyId":'],
    ['JSON of the wrong shape', '{"familyId":"x","version":"1"}'],
    ['another family under this id', JSON.stringify(familyOf('u', { familyId: 'someone-else' }))],
  ])('rejects a stored value that is %s (corrupt_record), and update does not overwrite it', async (_, value) => {
    const familyId = `corrupt-${randomUUID()}`;
    await client.set(`${keyPrefix}:family:${familyId}`, value);
    expect(await codeOf(store.get(familyId))).toBe('corrupt_record');
    expect(await codeOf(store.update(familyId, 1, familyOf('u', { familyId, version: 2 })))).toBe('corrupt_record');
    expect(await client.get(`${keyPrefix}:family:${familyId}`)).toBe(value);
  });

  it('a corrupt family or subject cutoff makes refresh a 503 session_store_unavailable, not a crash', async () => {
    const sessions = createSessions({ issuer: 'https://app.example.com/', audience: 'app', secret: 'bq3V0oJ0m8fZ1kq0b7W3xYd9cR2tLp6sNe4uHg5aA1s', store, familyLifetime: '1h', familyIdleTimeout: '30m' });
    const { refreshToken, subject } = await sessions.login({ subject: `corrupt-${randomUUID()}` });
    await client.set(`${keyPrefix}:subject:${subject}`, 'yesterday');
    const refused = await sessions.refresh(refreshToken).catch((error: unknown) => error);
    expect(isSessionError(refused) && [refused.code, refused.status]).toEqual(['session_store_unavailable', 503]);
    expect(isSessionError(refused) && refused.cause instanceof RedisSessionStoreError && refused.cause.code).toBe('corrupt_record');
  });

  it('drops an idle family at its idle deadline: the refresh token then names no family', async () => {
    const sessions = createSessions({
      issuer: 'https://app.example.com/', audience: 'app', secret: 'bq3V0oJ0m8fZ1kq0b7W3xYd9cR2tLp6sNe4uHg5aA1s',
      store, accessTokenLifetime: 0.2, familyLifetime: '10s', familyIdleTimeout: 0.4,
    });
    const { refreshToken } = await sessions.login({ subject: 'idle' });
    const familyId = refreshToken.split('.')[0] ?? '';
    expect(await client.exists(`${keyPrefix}:family:${familyId}`)).toBe(1);
    await sleep(600);
    expect(await client.exists(`${keyPrefix}:family:${familyId}`)).toBe(0);
    const refused = await sessions.refresh(refreshToken).catch((error: unknown) => error);
    expect(isSessionError(refused) && refused.code).toBe('refresh_token_invalid');
  });

  it.each([
    [{}, /needs \{ client \}/],
    [{ client: {}, keyPrefix: 'p' }, /needs \{ client \}/],
    [{ client: 'CLIENT', keyPrefx: 'p' }, /unknown option "keyPrefx"; did you mean "keyPrefix"/],
    [{ client: 'CLIENT', timeout: 0 }, /timeout must be greater than zero/],
    [{ client: 'CLIENT', maxFamilyLifetime: 'forever' }, /maxFamilyLifetime must be/],
    [{ client: 'CLIENT', keyPrefix: '' }, /keyPrefix must be a non-empty string/],
  ])('refuses bad options at start-up with config_invalid saying what to change (%o)', (options, message) => {
    const withClient = Object.fromEntries(Object.entries(options).map(([name, value]) => [name, value === 'CLIENT' ? client : value]));
    let thrown: unknown;
    try {
      redisSessionStore(withClient as never);
    } catch (error) {
      thrown = error;
    }
    expect(isJwtGuardError(thrown) && thrown.code).toBe('config_invalid');
    expect((thrown as Error).message).toMatch(message);
  });
});
