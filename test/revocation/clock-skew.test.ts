/**
 * Issue 13, item 2: one instance with a fast clock must not delete everyone's revocations.
 * A and B run with normal clocks; F's clock runs ten minutes ahead (support/fake-clock.ts, in F's
 * process only: its verifier and its store both see it). Expiry in Redis is decided by Redis time,
 * so F's start-up and its writes purge nothing that A, B or a later instance still needs; F says
 * that its clock is off (`clock_skew`).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestIssuer, type TestIssuer } from '@jwt-guard/testing';
import { awaitRefusal, forceResync, startApp, waitForEvent, type AppOptions, type AppProcess } from './support/apps.js';
import { createClient, type RedisClient } from './support/redis-client.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';

const OFFSET_MS = 10 * 60_000;
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

async function start(name: string, extra: Partial<AppOptions> = {}): Promise<AppProcess> {
  const app = await startApp({ ...common, name, ...extra });
  apps.push(app);
  return app;
}

beforeAll(async () => {
  redis = await startRedisServer();
  admin = createClient({ url: redis.url });
  await admin.connect();
  issuer = await createTestIssuer({ algorithm: 'ES256', serveJwks: false });
  adminToken = await issuer.sign({ sub: 'admin', scope: 'revocation:admin' }); // 5 min
  common = {
    redisUrl: redis.url,
    keyPrefix,
    maxStaleness: '10s',
    // Subject revocations kept 5 min past issuedBefore: short enough that F's clock, 10 min
    // ahead, would see them expired.
    maxTokenLifetime: '5m',
    whenUnavailable: 'fail-closed',
    verifierOptions: issuer.verifierOptions(),
  };
  [a, b] = await Promise.all([start('A'), start('B')]);
}, 60_000);

afterAll(async () => {
  await Promise.all(apps.map((app) => app.stop()));
  await admin?.close();
  await redis?.stop();
  await issuer?.close();
});

describe('an instance whose clock runs 10 minutes ahead', () => {
  it('purges nothing the others need: A, B (after a resync) and a new C keep refusing; Redis keeps the entries; F reports clock_skew', async () => {
    // A jti revocation (the token expires in 300 s) and a subject revocation, through A.
    const revokedToken = await issuer.sign({ sub: 'user-jti' });
    const exp = jwtPayload(revokedToken).exp;
    expect(await a.post('/admin/revoke-token', adminToken, { token: revokedToken })).toMatchObject({ status: 200, body: { result: 'revoked' } });
    const t = nowSeconds();
    const subjectToken = await issuer.sign({ sub: 'eve' }, { issuedAt: t - 5, expiresIn: 240 });
    const issuedBefore = t + 1;
    expect((await a.post('/admin/revoke-subject', adminToken, { sub: 'eve', issuedBefore })).status).toBe(204);
    for (const app of [a, b]) await refusedSoon(app, [revokedToken, subjectToken]);

    // F starts (its store loads, and the old code purged by F's clock here), and writes a
    // revocation of its own (the old code purged on every write too).
    const f = await start('F', { clockOffsetMs: OFFSET_MS });
    const skew = (await f.status()).now - Date.now();
    expect(skew, 'F runs with its clock 10 min ahead').toBeGreaterThan(OFFSET_MS - 60_000);
    expect(skew).toBeLessThan(OFFSET_MS + 60_000);
    const fNow = nowSeconds() + OFFSET_MS / 1000;
    // Tokens F accepts (issued by F's clock; A and B would see them as not yet valid).
    const fAdminToken = await issuer.sign({ sub: 'admin', scope: 'revocation:admin', iat: fNow, exp: fNow + 240 });
    const fToken = await issuer.sign({ sub: 'user-f', iat: fNow, exp: fNow + 240 });
    expect(await f.post('/admin/revoke-token', fAdminToken, { token: fToken })).toMatchObject({ status: 200, body: { result: 'revoked' } });

    // A and B refuse, now and after reloading everything from Redis.
    for (const app of [a, b]) await expectRefused(app, [revokedToken, subjectToken], 'before the resync');
    await forceResync(admin, [a, b]);
    for (const app of [a, b]) await expectRefused(app, [revokedToken, subjectToken], 'after a resync');

    // An instance started after F refuses at once.
    const c = await start('C');
    await expectRefused(c, [revokedToken, subjectToken], 'started after F');

    // Redis still holds both entries.
    expect(await admin.zScore(`${keyPrefix}:jtis`, jwtPayload(revokedToken).jti)).toBe(exp);
    expect(await admin.hGet(`${keyPrefix}:subjects`, 'eve')).toBe(String(issuedBefore));
    expect(await admin.zScore(`${keyPrefix}:subjects:expiry`, 'eve')).not.toBeNull();

    // F says that its clock is off by about 10 min; A, B and C say nothing of the kind.
    const event = await waitForEvent(f, (e) => e.type === 'clock_skew', { timeoutMs: 10_000 });
    expect(Math.abs(Number(event.offsetMs))).toBeGreaterThan(OFFSET_MS - 60_000);
    expect(Math.abs(Number(event.offsetMs))).toBeLessThan(OFFSET_MS + 60_000);
    for (const app of [a, b, c]) expect(app.events.filter((e) => e.type === 'clock_skew'), app.name).toEqual([]);

    // What a user sees from F: its verifier finds both tokens expired (or revoked): 401 either way.
    for (const token of [revokedToken, subjectToken]) {
      const response = await f.get('/me', token);
      expect(response.status).toBe(401);
      expect(['token_expired', 'token_revoked']).toContain(response.body.error);
    }
  }, 90_000);
});

/** `app` answers 401 token_revoked to every token: each asked once. */
async function expectRefused(app: AppProcess, tokens: string[], when: string): Promise<void> {
  for (const [index, token] of tokens.entries()) {
    const response = await app.get('/me', token);
    expect({ status: response.status, error: response.body.error }, `${app.name}, token ${index}, ${when}`).toEqual({ status: 401, error: 'token_revoked' });
  }
}

/** Waits until `app` refuses every token (a revocation through another instance arrives by pub/sub). */
async function refusedSoon(app: AppProcess, tokens: string[]): Promise<void> {
  for (const token of tokens) expect((await awaitRefusal(app, token)).body.error, app.name).toBe('token_revoked');
}

function jwtPayload(token: string): { jti: string; exp: number } {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { jti: string; exp: number };
}
