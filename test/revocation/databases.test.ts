/**
 * Issue 13, item 3: apps separated by Redis database number do not share revocations. One
 * redis-server; app1 uses database 1 and app2 database 2, with the same key prefix. Pub/sub
 * channels are server-wide, so the store's channel names its database (`P:events:<db>`) and a
 * message for another store (another database, another generation) is ignored.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisRevocationStore, type RedisRevocationStore } from '@jwt-guard/redis';
import { createTestIssuer, type TestIssuer } from '@jwt-guard/testing';
import { forceResync, startApp, type AppProcess } from './support/apps.js';
import { createClient, type RedisClient } from './support/redis-client.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { jtiOf } from './support/tokens.js';
import { until } from './support/wait.js';

const keyPrefix = `jwt-guard-test:${randomUUID()}`;
const nowSeconds = () => Math.floor(Date.now() / 1000);

let redis: RedisServer;
let db1: RedisClient;
let db2: RedisClient;
let issuer: TestIssuer;
let adminToken: string;
let app1: AppProcess;
let app2: AppProcess;

beforeAll(async () => {
  redis = await startRedisServer();
  db1 = createClient({ url: `${redis.url}/1` });
  db2 = createClient({ url: `${redis.url}/2` });
  await Promise.all([db1.connect(), db2.connect()]);
  issuer = await createTestIssuer({ algorithm: 'ES256', serveJwks: false });
  adminToken = await issuer.sign({ sub: 'admin', scope: 'revocation:admin' });
  const common = { keyPrefix, maxStaleness: '10s', whenUnavailable: 'fail-closed', verifierOptions: issuer.verifierOptions() } as const;
  [app1, app2] = await Promise.all([
    startApp({ ...common, name: 'app1', redisUrl: `${redis.url}/1` }),
    startApp({ ...common, name: 'app2', redisUrl: `${redis.url}/2` }),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all([app1?.stop(), app2?.stop()]);
  await Promise.all([db1?.close(), db2?.close()]);
  await redis?.stop();
  await issuer?.close();
});

describe('two apps on two databases of one Redis, same key prefix', () => {
  it("a subject and a token revoked through app1 (database 1) are refused by app1 only: app2 accepts them, before and after its resync", async () => {
    const subjectToken = await issuer.sign({ sub: 'zoe' });
    const jtiToken = await issuer.sign({ sub: 'yan' });
    for (const app of [app1, app2]) for (const token of [subjectToken, jtiToken]) expect((await app.get('/me', token)).status).toBe(200);

    const issuedBefore = nowSeconds() + 1;
    expect((await app1.post('/admin/revoke-subject', adminToken, { sub: 'zoe', issuedBefore })).status).toBe(204);
    expect(await app1.post('/admin/revoke-token', adminToken, { token: jtiToken })).toMatchObject({ status: 200, body: { result: 'revoked' } });

    const expectAnswers = async (when: string) => {
      for (const token of [subjectToken, jtiToken]) {
        expect((await app1.get('/me', token)).body.error, `app1 ${when}`).toBe('token_revoked');
        expect((await app2.get('/me', token)).status, `app2 ${when}`).toBe(200);
      }
    };
    await expectAnswers('at once');
    // Over the next ~300 ms (a message from database 1 would have arrived within milliseconds).
    const until300 = Date.now() + 300;
    while (Date.now() < until300) {
      await expectAnswers('within 300 ms');
      await sleep(20);
    }
    await forceResync(db1, [app1, app2]);
    await expectAnswers('after both resynced');

    // The revocations are in database 1 only.
    expect(await db1.hGet(`${keyPrefix}:subjects`, 'zoe')).toBe(String(issuedBefore));
    expect(await db2.hGet(`${keyPrefix}:subjects`, 'zoe')).toBeNull();
    expect(await db2.zScore(`${keyPrefix}:jtis`, jtiOf(jtiToken))).toBeNull();
  }, 60_000);

  it("a store ignores the other database's messages: those published on its channel and those re-published on its own", async () => {
    const prefix = `jwt-guard-test:${randomUUID()}`;
    const stores: RedisRevocationStore[] = [];
    const open = (db: number) => {
      const store = redisRevocationStore({ client: createClient({ url: `${redis.url}/${db}` }), keyPrefix: prefix });
      stores.push(store);
      return store;
    };
    // Every message on any of this prefix's channels, whatever the database.
    const sniffer = db1.duplicate();
    const heard: Array<{ channel: string; message: string }> = [];
    await sniffer.connect();
    try {
      await sniffer.pSubscribe(`${prefix}:*`, (message, channel) => void heard.push({ channel, message }));
      const [s1, s2, s2b] = [open(1), open(2), open(2)];
      await Promise.all(stores.map((store) => store.ready()));

      await s1.revoke('jti-db1', nowSeconds() + 300);
      expect(s1.check({ jti: 'jti-db1' })).toBe('revoked');
      await until(() => heard.some((entry) => entry.message.includes('jti-db1')), 2_000);
      await sleep(300);
      expect(s2.check({ jti: 'jti-db1' }), 'database 2 after a revocation in database 1').toBe('active');
      expect(s2b.check({ jti: 'jti-db1' })).toBe('active');
      const fromDb1 = heard.find((entry) => entry.message.includes('jti-db1'))!;
      expect(fromDb1.channel).toBe(`${prefix}:events:1`);

      // The same message, re-published where database 2's stores listen: another generation, ignored.
      await db2.publish(`${prefix}:events:2`, fromDb1.message);
      await until(() => heard.filter((entry) => entry.message === fromDb1.message).length >= 2, 2_000);
      await sleep(300);
      expect(s2.check({ jti: 'jti-db1' }), 'database 2 after the message was re-published on its channel').toBe('active');

      // Control: database 2's own messages do arrive.
      await s2b.revoke('jti-db2', nowSeconds() + 300);
      await until(() => s2.check({ jti: 'jti-db2' }) === 'revoked', 2_000);
      expect(s1.check({ jti: 'jti-db2' })).toBe('active');
    } finally {
      await sniffer.close();
      await Promise.all(stores.map((store) => store.close()));
    }
  });
});
