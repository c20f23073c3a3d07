/**
 * Issue 13, item 4: revocations lost by Redis (FLUSHDB, eviction) are noticed and never come undone.
 * The store writes a marker with its data; when the markers are gone it reports
 * `revocations_lost`, answers only what its copy knows to be revoked (the rest fails closed),
 * writes its copy back (`restored`) and is live again. At start-up it warns when the server's
 * eviction policy can evict its keys (`eviction_policy`).
 *
 * A and B are fixture apps (separate processes) on a redis-server started with
 * `--maxmemory-policy allkeys-lru --maxmemory 4mb`; a second server runs `noeviction`.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisRevocationStore, type RedisRevocationEvent } from '@jwt-guard/redis';
import { createTestIssuer, type TestIssuer } from '@jwt-guard/testing';
import { awaitRefusal, forceResync, startApp, waitForEvent, type AppOptions, type AppProcess } from './support/apps.js';
import { createClient, type RedisClient } from './support/redis-client.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { payloadOf, jtiOf } from './support/tokens.js';
import { until } from './support/wait.js';

const keyPrefix = `jwt-guard-test:${randomUUID()}`;
const nowSeconds = () => Math.floor(Date.now() / 1000);

let redis: RedisServer;
let admin: RedisClient;
let issuer: TestIssuer;
let adminToken: string;
let common: Omit<AppOptions, 'name'>;
const apps: AppProcess[] = [];
let a: AppProcess;
let b: AppProcess;

async function start(name: string): Promise<AppProcess> {
  const app = await startApp({ ...common, name });
  apps.push(app);
  return app;
}

beforeAll(async () => {
  redis = await startRedisServer({ args: ['--maxmemory-policy', 'allkeys-lru', '--maxmemory', '4mb'] });
  admin = createClient({ url: redis.url });
  await admin.connect();
  issuer = await createTestIssuer({ algorithm: 'ES256', serveJwks: false });
  adminToken = await issuer.sign({ sub: 'admin', scope: 'revocation:admin' });
  common = { redisUrl: redis.url, keyPrefix, maxStaleness: '10s', whenUnavailable: 'fail-closed', verifierOptions: issuer.verifierOptions() };
  [a, b] = await Promise.all([start('A'), start('B')]);
}, 60_000);

afterAll(async () => {
  await Promise.all(apps.map((app) => app.stop()));
  await admin?.close();
  await redis?.stop();
  await issuer?.close();
});

/** Revokes a token (jti) and a subject through A; both refused by B once the message arrived. */
async function revokeThroughA(name: string) {
  const jtiToken = await issuer.sign({ sub: `${name}-jti` });
  expect(await a.post('/admin/revoke-token', adminToken, { token: jtiToken })).toMatchObject({ status: 200, body: { result: 'revoked' } });
  const subject = `${name}-subject`;
  const subjectToken = await issuer.sign({ sub: subject }, { issuedAt: nowSeconds() - 5 });
  const issuedBefore = nowSeconds() + 1;
  expect((await a.post('/admin/revoke-subject', adminToken, { sub: subject, issuedBefore })).status).toBe(204);
  for (const token of [jtiToken, subjectToken]) expect((await awaitRefusal(b, token)).body.error).toBe('token_revoked');
  return { jtiToken, subjectToken, subject, issuedBefore };
}

interface Sample {
  app: string;
  token: number;
  status: number;
  error: unknown;
}

/** Asks every app about every token, over and over (~every 20 ms), until stopped. */
function sampling(targets: AppProcess[], tokens: string[]) {
  const samples: Sample[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      for (const app of targets) {
        for (const [index, token] of tokens.entries()) {
          const response = await app.get('/me', token);
          samples.push({ app: app.name, token: index, status: response.status, error: response.body.error });
        }
      }
      await sleep(20);
    }
  })();
  return {
    samples,
    stop: async () => {
      running = false;
      await loop;
      return samples;
    },
  };
}

/** Every sample a refusal: 401 token_revoked, or 503 revocation_unavailable (allowed while the store reports the loss). */
function expectNeverAccepted(samples: Sample[]): void {
  expect(samples.length).toBeGreaterThan(10);
  const accepted = samples.filter((sample) => sample.status === 200);
  expect(accepted, `${accepted.length} of ${samples.length} samples answered 200`).toEqual([]);
  for (const sample of samples) {
    expect([
      [401, 'token_revoked'],
      [503, 'revocation_unavailable'],
    ]).toContainEqual([sample.status, sample.error]);
  }
}

/** Resolves once `app` has reported `revocations_lost` and, after it, `restored` (both since index `since`). */
async function lostThenRestored(app: AppProcess, since: number, timeoutMs = 10_000) {
  const lost = await waitForEvent(app, (event) => event.type === 'revocations_lost', { since, timeoutMs });
  const restored = await waitForEvent(app, (event) => event.type === 'restored', { since: app.events.indexOf(lost) + 1, timeoutMs });
  return { lost, restored };
}

describe('revocations lost by Redis', () => {
  it('FLUSHDB: A and B report revocations_lost then restored, never accept a revoked token; a new C refuses it; Redis holds it again', async () => {
    const { jtiToken, subjectToken, subject, issuedBefore } = await revokeThroughA('flush');
    const valid = await issuer.sign({ sub: 'flush-valid' });
    for (const app of [a, b]) expect((await app.get('/me', valid)).status).toBe(200);

    const since = [a.events.length, b.events.length];
    const sampler = sampling([a, b], [jtiToken, subjectToken]);
    await sleep(100);
    await admin.flushDb();
    // Each instance notices (its probe runs about every second) and writes its copy back.
    const outcomes = await Promise.allSettled([lostThenRestored(a, since[0]!), lostThenRestored(b, since[1]!)]);
    await sleep(1_000); // and keep sampling a while after
    expectNeverAccepted(await sampler.stop());

    // Live again: revoked tokens refused, a valid one accepted (no 503 left), by A, B and a new C.
    const c = await start('C');
    for (const app of [a, b, c]) {
      for (const token of [jtiToken, subjectToken]) expect((await app.get('/me', token)).body.error, `${app.name} after the flush`).toBe('token_revoked');
      expect((await app.get('/me', valid)).status, `${app.name}: a valid token`).toBe(200);
    }
    expect(await admin.zScore(`${keyPrefix}:jtis`, jtiOf(jtiToken))).toBe(expOf(jtiToken));
    expect(await admin.hGet(`${keyPrefix}:subjects`, subject)).toBe(String(issuedBefore));

    for (const [index, app] of [a, b].entries()) {
      const result = outcomes[index]!;
      expect(result.status, `${app.name} reports revocations_lost then restored: ${result.status === 'rejected' ? String(result.reason) : ''}`).toBe('fulfilled');
      if (result.status === 'fulfilled') {
        expect(['missing', 'replaced']).toContain(result.value.lost.reason);
        expect(result.value.restored).toMatchObject({ type: 'restored', jtis: expect.any(Number) as number, subjects: expect.any(Number) as number });
      }
    }
  }, 60_000);

  it('allkeys-lru: A and B report eviction_policy allkeys-lru at start-up', () => {
    for (const app of [a, b]) expect(app.events, app.name).toContainEqual(expect.objectContaining({ type: 'eviction_policy', policy: 'allkeys-lru' }));
  });

  it('allkeys-lru: when its keys are evicted the store notices (revocations_lost); the revoked tokens stay refused, also after a resync', async () => {
    const { jtiToken, subjectToken } = await revokeThroughA('evict');
    const since = [a.events.length, b.events.length];
    const sampler = sampling([a, b], [jtiToken, subjectToken]);

    // Junk keys of 10 KB until the store's jti set is evicted (4 MB of memory: a few hundred keys).
    const junk = 'x'.repeat(10_000);
    let written = 0;
    const fillStarted = Date.now();
    while ((await admin.exists(`${keyPrefix}:jtis`)) === 1) {
      if (written >= 20_000 || Date.now() - fillStarted > 10_000) throw new Error(`${keyPrefix}:jtis still there after ${written} junk keys`);
      const batch = admin.multi();
      for (let index = 0; index < 10; index += 1) batch.set(`junk:${randomUUID()}`, junk);
      await batch.exec();
      written += 10;
    }

    const noticed = await Promise.allSettled(
      [a, b].map((app, index) => waitForEvent(app, (event) => event.type === 'revocations_lost', { since: since[index], timeoutMs: 8_000 })),
    );
    await forceResync(admin, [a, b]); // the old code reloaded the (evicted, empty) set here
    await sleep(500);
    expectNeverAccepted(await sampler.stop());
    for (const app of [a, b]) {
      for (const token of [jtiToken, subjectToken]) expect((await app.get('/me', token)).body.error, `${app.name} after the eviction`).toBe('token_revoked');
    }
    for (const [index, app] of [a, b].entries()) {
      const result = noticed[index]!;
      expect(result.status, `${app.name} reports revocations_lost: ${result.status === 'rejected' ? String(result.reason) : ''}`).toBe('fulfilled');
    }
  }, 60_000);

  it('noeviction: a store reports no eviction_policy event (one on the allkeys-lru server, started alongside, does)', async () => {
    const safe = await startRedisServer({ args: ['--maxmemory-policy', 'noeviction'] });
    const events: Record<'safe' | 'lru', RedisRevocationEvent[]> = { safe: [], lru: [] };
    const prefix = `jwt-guard-test:${randomUUID()}`;
    const stores = (['safe', 'lru'] as const).map((name) =>
      redisRevocationStore({
        client: createClient({ url: name === 'safe' ? safe.url : redis.url }),
        keyPrefix: prefix,
        onEvent: (event) => events[name].push(event),
      }),
    );
    try {
      await Promise.all(stores.map((store) => store.ready()));
      // The store on the allkeys-lru server has done its start-up check by now; so has the other.
      await until(() => events.lru.some((event) => (event.type as string) === 'eviction_policy'), 5_000).catch(() => undefined);
      await sleep(200);
      expect(events.safe.filter((event) => (event.type as string) === 'eviction_policy')).toEqual([]);
      expect(events.lru, 'control: the store on the allkeys-lru server').toContainEqual(expect.objectContaining({ type: 'eviction_policy', policy: 'allkeys-lru' }));
    } finally {
      await Promise.all(stores.map((store) => store.close()));
      await safe.stop();
    }
  });
});

const expOf = (token: string) => payloadOf(token).exp;
