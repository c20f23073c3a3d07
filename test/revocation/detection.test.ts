/**
 * A detector's revocation reaches every instance: two Express apps, each with its own
 * redisRevocationStore (its own connections and copy) on one real redis-server. A token replayed
 * from too many addresses at instance A is revoked by A's tokenShared detector; instance B, which
 * saw the token from one address only, refuses it once the revocation arrives over pub/sub.
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DetectionEvent } from '@jwt-guard/core';
import { redisRevocationStore, type RedisRevocationStore } from '@jwt-guard/redis';
import { createTestIssuer, type TestIssuer } from '@jwt-guard/testing';
import { startApp, type TestApp } from '../adapters/apps.js';
import { createClient } from './support/redis-client.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { until } from './support/wait.js';

let redis: RedisServer;
let issuer: TestIssuer;
const stores: RedisRevocationStore[] = [];
const apps: TestApp[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
  issuer = await createTestIssuer({ algorithm: 'ES256', serveJwks: false });
}, 30_000);

afterAll(async () => {
  for (const app of apps) await app.close();
  for (const store of stores) await store.close();
  await redis?.stop();
  await issuer?.close();
});

it('a token shared across addresses at one instance is revoked for every instance sharing Redis', async () => {
  const keyPrefix = `jwt-guard-test:${randomUUID()}`;
  const events: DetectionEvent[] = [];
  const instance = async () => {
    const client = createClient({ url: redis.url });
    client.on('error', () => undefined);
    const store = redisRevocationStore({ client, keyPrefix });
    stores.push(store);
    await store.ready();
    const app = await startApp(
      'express',
      {
        ...issuer.verifierOptions(),
        revocation: { store },
        detect: { tokenShared: { maxAddresses: 2, respond: 'revoke-token' } },
        onDetection: (event) => events.push(event),
      },
      { trustProxy: true },
    );
    apps.push(app);
    return app;
  };
  const [a, b] = [await instance(), await instance()];
  const token = await issuer.sign({ jti: `shared-${randomUUID()}` });
  const get = (app: TestApp, address: string) => request(app.server).get('/me').set('authorization', `Bearer ${token}`).set('x-forwarded-for', address);

  await get(b, '198.51.100.1').expect(200);
  await get(a, '198.51.100.1').expect(200);
  await get(a, '198.51.100.2').expect(200);
  expect((await get(a, '203.0.113.3').expect(401)).body).toMatchObject({ error: 'token_revoked' });
  await until(() => events.length === 1, 5_000);
  expect(events[0]).toMatchObject({ type: 'token_shared', action: 'revoke_token', actionFailed: false, distinctAddresses: 3 });
  // B never saw more than one address: it refuses the token because of the revocation in Redis.
  const deadline = Date.now() + 5_000;
  while ((await get(b, '198.51.100.1')).status === 200) {
    expect(Date.now(), 'B still accepts the token 5 s after A revoked it').toBeLessThan(deadline);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  expect((await get(b, '198.51.100.1')).body).toMatchObject({ error: 'token_revoked' });
  expect(stores[1]!.check({ jti: events[0]!.type === 'token_shared' ? events[0]!.jti : undefined })).toBe('revoked');
}, 30_000);
