/**
 * Three instances of an Express API, each its own process (fixtures/app.ts), sharing one real
 * redis-server: A and B fail closed, C fails open; all with maxStaleness 3 s.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestIssuer, type TestIssuer } from '@jwt-guard/testing';
import { forceResync, startApp, waitForState, type AppProcess } from './support/apps.js';
import { jtiOf } from './support/tokens.js';
import { createClient } from './support/redis-client.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { until } from './support/wait.js';

const MAX_STALENESS_MS = 3000;
const keyPrefix = `jwt-guard-test:${randomUUID()}`;
const nowSeconds = () => Math.floor(Date.now() / 1000);

let redis: RedisServer;
let issuer: TestIssuer;
let adminToken: string;
let a: AppProcess;
let b: AppProcess;
let c: AppProcess;

beforeAll(async () => {
  redis = await startRedisServer();
  issuer = await createTestIssuer({ algorithm: 'ES256', serveJwks: false });
  adminToken = await issuer.sign({ sub: 'admin', scope: 'revocation:admin' }, { expiresIn: '1h' });
  const common = { redisUrl: redis.url, keyPrefix, maxStaleness: `${MAX_STALENESS_MS / 1000}s`, verifierOptions: issuer.verifierOptions() };
  [a, b, c] = await Promise.all([
    startApp({ ...common, name: 'A', whenUnavailable: 'fail-closed' }),
    startApp({ ...common, name: 'B', whenUnavailable: 'fail-closed' }),
    startApp({ ...common, name: 'C', whenUnavailable: 'fail-open' }),
  ]);
}, 90_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop(), c?.stop()]);
  await redis?.stop();
  await issuer?.close();
});

/**
 * Polls `app` with `token` every ~5 ms until it answers something other than 200; returns that
 * answer and how long after `since` it came.
 */
async function firstRefusal(app: AppProcess, token: string, since: number, giveUpMs = 2_000) {
  let polls = 0;
  for (;;) {
    const tick = performance.now();
    const response = await app.get('/me', token);
    const elapsed = performance.now() - since;
    polls += 1;
    if (response.status !== 200 || elapsed > giveUpMs) return { ...response, elapsedMs: elapsed, polls };
    await sleep(Math.max(0, 5 - (performance.now() - tick)));
  }
}


const median = (values: number[]) => {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

describe('separate processes sharing one Redis', () => {
  it('a token revoked through A is refused by B (401 token_revoked) within 100 ms', async () => {
    // Two measures per token, both from A's admin call:
    // - on the servers' clocks: from A's store having written the revocation (MULTI + PUBLISH
    //   done) to B receiving the request it refused — how fast B starts refusing; < 100 ms.
    // - as this test sees it: from A's HTTP response to B's 401 arriving here; includes this
    //   process's own HTTP round trips, reported (and bounded loosely against a loaded machine).
    // A round over 100 ms is measured again once, with a new token: on a 2-core machine shared
    // with other work, one process may not be scheduled for that long. A second miss in a row,
    // or more than two rounds measured again, fails the test; the first misses are reported.
    const onServers: number[] = [];
    const seenHere: number[] = [];
    const missed: number[] = [];
    let warmUp = 0;
    const measure = async (round: number) => {
      const token = await issuer.sign({ sub: `user-${round}` });
      expect((await b.get('/me', token)).status).toBe(200);
      const revoke = await a.post('/admin/revoke-token', adminToken, { token });
      expect(revoke).toMatchObject({ status: 200, body: { result: 'revoked' } });
      const refusal = await firstRefusal(b, token, performance.now());
      expect(refusal.status).toBe(401);
      expect(refusal.body.error).toBe('token_revoked');
      const serverSide = refusal.receivedAt - revoke.revokedAt!;
      expect(serverSide).toBeGreaterThan(0);
      expect(refusal.elapsedMs).toBeLessThan(1_000);
      return { serverSide, seen: refusal.elapsedMs };
    };
    // Round 0 warms up the code paths of A, B and this process (first refusal, first message,
    // first JIT of each); rounds 1–25 are measured.
    warmUp = (await measure(0)).serverSide;
    expect(warmUp).toBeLessThan(1_000);
    for (let round = 1; round <= 25; round += 1) {
      let result = await measure(round);
      if (result.serverSide >= 100) {
        missed.push(result.serverSide);
        expect(missed.length, `rounds over 100 ms: ${missed.map((ms) => ms.toFixed(1)).join(', ')}`).toBeLessThanOrEqual(2);
        result = await measure(round);
      }
      expect(result.serverSide, `round ${round}: B refused ${result.serverSide.toFixed(1)} ms after A's write`).toBeLessThan(100);
      onServers.push(result.serverSide);
      seenHere.push(result.seen);
    }
    const stats = (values: number[]) => `median ${median(values).toFixed(1)} ms, max ${Math.max(...values).toFixed(1)} ms`;
    console.info(
      `revocation A → B over ${onServers.length} tokens (B polled every ~5 ms): B refuses after ${stats(onServers)} ` +
        `(A's write done → B receives the refused request); seen by the test: ${stats(seenHere)} ` +
        `(A's HTTP response → B's 401 received); warm-up round ${warmUp.toFixed(1)} ms; ` +
        `rounds measured again: ${missed.length === 0 ? 'none' : missed.map((ms) => `${ms.toFixed(1)} ms`).join(', ')}`,
    );
    // A refuses it too, and so does C.
    const token = await issuer.sign({ sub: 'user-x' });
    await a.post('/admin/revoke-token', adminToken, { token });
    expect((await firstRefusal(c, token, performance.now())).body.error).toBe('token_revoked');
    expect((await a.get('/me', token)).body.error).toBe('token_revoked');
    expect(await a.post('/admin/revoke-token', adminToken, { token })).toMatchObject({ status: 200, body: { result: 'already_invalid' } });
  });

  it('a subject revoked at T through A: B refuses its tokens issued before T, accepts one issued at or after T', async () => {
    const T = nowSeconds() + 1; // whole seconds, as revocationAdmin uses by default
    const otherSubject = await issuer.sign({ sub: 'bob', iat: T - 30 });
    /** Revokes `sub` at T through A; how long after A's write B refused a token issued before T. */
    const revokeAndMeasure = async (sub: string) => {
      const before = await issuer.sign({ sub, iat: T - 30 });
      expect((await b.get('/me', before)).status).toBe(200);
      const revoke = await a.post('/admin/revoke-subject', adminToken, { sub, issuedBefore: T });
      expect(revoke.status).toBe(204);
      const refusal = await firstRefusal(b, before, performance.now());
      expect(refusal).toMatchObject({ status: 401, body: { error: 'token_revoked' } });
      return refusal.receivedAt - revoke.revokedAt!;
    };
    // Measured again once if over 100 ms (a loaded machine; see the test above).
    let subject = 'alice';
    let latency = await revokeAndMeasure(subject);
    if (latency >= 100) latency = await revokeAndMeasure((subject = 'alice-again'));
    expect(latency).toBeLessThan(100);
    const justBefore = await issuer.sign({ sub: subject, iat: T - 1 });
    expect((await b.get('/me', justBefore)).body.error).toBe('token_revoked');
    expect((await b.get('/me', otherSubject)).status).toBe(200);

    // A new login after T: a token with iat ≥ T is accepted everywhere.
    while (nowSeconds() < T) await sleep(20);
    const after = await issuer.sign({ sub: subject, iat: T });
    for (const app of [a, b, c]) expect(await app.get('/me', after)).toMatchObject({ status: 200, body: { sub: subject } });
  });

  it('Redis down: answers from the copy within maxStaleness, then 503 (fail-closed) or 200 (fail-open); back up: resync, and what Redis lost stays revoked', async () => {
    const revokedBefore = await issuer.sign({ sub: 'carol' });
    await a.post('/admin/revoke-token', adminToken, { token: revokedBefore });
    expect((await firstRefusal(b, revokedBefore, performance.now())).status).toBe(401);
    const valid = await issuer.sign({ sub: 'dave' });
    const erinOld = await issuer.sign({ sub: 'erin', iat: nowSeconds() - 60 });
    for (const app of [b, c]) expect((await app.get('/me', valid)).status).toBe(200);

    await redis.kill(); // SIGKILL: a crash
    const killedAt = Date.now();
    await waitForState(b, 'disconnected', 1_000);
    await waitForState(c, 'disconnected', 1_000);

    // Within maxStaleness: the copy answers, for good tokens and for revoked ones.
    expect((await b.get('/me', valid)).status).toBe(200);
    expect((await b.get('/me', revokedBefore)).body.error).toBe('token_revoked');
    expect((await c.get('/me', valid)).status).toBe(200);
    expect(Date.now() - killedAt).toBeLessThan(MAX_STALENESS_MS);
    expect((await c.status()).unavailable).toEqual([]);

    // Past maxStaleness: B fails closed, C fails open (and says so through onUnavailable).
    await sleep(Math.max(0, killedAt + MAX_STALENESS_MS + 300 - Date.now()));
    expect(await b.get('/me', valid)).toMatchObject({ status: 503, body: { error: 'revocation_unavailable' } });
    expect(await c.get('/me', valid)).toMatchObject({ status: 200, body: { sub: 'dave' } });
    expect((await c.status()).unavailable).toContainEqual(expect.objectContaining({ decision: 'fail-open', sub: 'dave' }));
    expect((await b.status()).unavailable).toContainEqual(expect.objectContaining({ decision: 'fail-closed', sub: 'dave' }));
    // What the copy knows to be revoked stays refused, stale or not, open or closed.
    expect((await b.get('/me', revokedBefore)).body.error).toBe('token_revoked');
    expect((await c.get('/me', revokedBefore)).body.error).toBe('token_revoked');
    expect((await b.status()).state).toBe('stale');

    // Redis back on the same port (empty: it ran without persistence), and revocations written
    // straight into it with another client, with no PUBLISH: only a resync can bring them to B.
    // They are written while B is still disconnected: right after one of its reconnect attempts
    // failed, when its backoff (≥ 800 ms this long after the crash) has just begun.
    const seen = b.events.length;
    await until(() => b.events.slice(seen).some((event) => event.type === 'error' && event.source === 'subscriber'), 5_000);
    await redis.restart();
    const writer = createClient({ url: redis.url });
    writer.on('error', () => undefined);
    try {
      await writer.connect();
      const exp = nowSeconds() + 300;
      const issuedBefore = nowSeconds();
      await writer
        .multi()
        .zAdd(`${keyPrefix}:jtis`, { score: exp, value: jtiOf(valid) })
        .hSet(`${keyPrefix}:subjects`, 'erin', String(issuedBefore))
        .zAdd(`${keyPrefix}:subjects:expiry`, { score: issuedBefore + 86_400, value: 'erin' })
        .exec();
    } finally {
      await writer.close();
    }
    // Usually B is still disconnected here (its backoff has just begun). On a loaded machine it may
    // be back already — writing its copy back ('lost') or done ('live') — having loaded before
    // these writes: then one more reconnect is what brings them to it.
    const stateAfterWrites = (await b.status()).state;
    expect(['stale', 'lost', 'live']).toContain(stateAfterWrites);
    if (stateAfterWrites !== 'stale') {
      const killer = createClient({ url: redis.url });
      await killer.connect();
      try {
        await forceResync(killer, [b]);
      } finally {
        await killer.close();
      }
    }

    for (const app of [a, b, c]) await waitForState(app, 'live', 10_000);
    expect((await b.get('/me', valid)).body.error).toBe('token_revoked');
    expect((await b.get('/me', erinOld)).body.error).toBe('token_revoked');
    const fresh = await issuer.sign({ sub: 'frank' });
    for (const app of [a, b, c]) expect((await app.get('/me', fresh)).status).toBe(200); // no more 503
    // And pub/sub works again: a revocation through A reaches B and C.
    await a.post('/admin/revoke-token', adminToken, { token: fresh });
    for (const app of [b, c]) expect((await firstRefusal(app, fresh, performance.now())).body.error).toBe('token_revoked');
    // Redis lost `revokedBefore` in the crash (it runs without persistence). The instances notice
    // (the markers are gone) and write their copies back: it stays refused on every instance, and
    // Redis holds it again. (Production Redis still needs persistence: an instance restarted
    // meanwhile has no copy to give back.)
    for (const app of [a, b, c]) expect((await app.get('/me', revokedBefore)).body.error, `${app.name}: revoked before the crash`).toBe('token_revoked');
    const reader = createClient({ url: redis.url });
    reader.on('error', () => undefined);
    try {
      await reader.connect();
      const { exp } = JSON.parse(Buffer.from(revokedBefore.split('.')[1]!, 'base64url').toString()) as { exp: number };
      expect(await reader.zScore(`${keyPrefix}:jtis`, jtiOf(revokedBefore)), 'Redis holds it again').toBe(exp);
    } finally {
      await reader.close();
    }
    const lost = b.events.findIndex((event) => event.type === 'revocations_lost');
    expect(lost, 'B reports revocations_lost').toBeGreaterThanOrEqual(0);
    expect(b.events.slice(lost + 1), 'then restored').toContainEqual(expect.objectContaining({ type: 'restored' }));
  }, 30_000);
});
