/**
 * The promise of revocation — once revoked, refused until it would have expired anyway — against
 * what a real Redis does to the list under it (one redis-server for this file):
 * - a token accepted under clockTolerance after its exp can still be revoked, and stays refused;
 * - FLUSHDB: every instance notices, fails closed, writes its copy back; nothing comes undone;
 * - a list larger than a copy's maxEntries: nothing of it is half applied, the store fails closed.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, revocationAdmin } from '@jwt-guard/core';
import { redisRevocationStore, type RedisRevocationEvent, type RedisRevocationStore, type RedisRevocationStoreOptions } from '@jwt-guard/redis';
import { createTestIssuer, type TestIssuer } from '@jwt-guard/testing';
import { createClient, type RedisClient } from './support/redis-client.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { outcome, until } from './support/wait.js';

let redis: RedisServer;
let admin: RedisClient;
let issuer: TestIssuer;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  redis = await startRedisServer();
  admin = createClient({ url: redis.url });
  await admin.connect();
  issuer = await createTestIssuer({ algorithm: 'ES256', serveJwks: false });
}, 30_000);

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

afterAll(async () => {
  await admin?.close();
  await redis?.stop();
  await issuer?.close();
});

const now = () => Math.floor(Date.now() / 1000);

function store(options: Partial<RedisRevocationStoreOptions> & { keyPrefix: string }, events: RedisRevocationEvent[] = []): RedisRevocationStore {
  const created = redisRevocationStore({ client: createClient({ url: redis.url }), onEvent: (event) => events.push(event), ...options });
  cleanups.push(() => created.close());
  return created;
}

describe('clockTolerance and the Redis store', () => {
  it('a token revoked 5 s after its exp, accepted under clockTolerance 60s, is refused by every instance', async () => {
    const keyPrefix = `jwt-guard-test:${randomUUID()}`;
    const [one, two] = [store({ keyPrefix }), store({ keyPrefix })];
    await Promise.all([one.ready(), two.ready()]);
    const options = { ...issuer.verifierOptions(), clockTolerance: '60s' };
    const [first, second] = [createVerifier({ ...options, revocation: { store: one } }), createVerifier({ ...options, revocation: { store: two } })];
    const expired = await issuer.sign({ sub: 'late', jti: randomUUID(), iat: now() - 100, exp: now() - 5 });
    expect(await outcome(first.verify(expired))).toBe('accepted');
    expect(await revocationAdmin(first, one).revokeToken(expired)).toBe('revoked');
    expect(await outcome(first.verify(expired))).toBe('token_revoked');
    await until(() => two.size() === 1);
    expect(await outcome(second.verify(expired))).toBe('token_revoked');
    // And an instance started later loads it: Redis kept it past exp.
    const late = store({ keyPrefix });
    await late.ready();
    expect(await outcome(createVerifier({ ...options, revocation: { store: late } }).verify(expired))).toBe('token_revoked');
  });

  it('refuses at start-up a clockTolerance longer than the store keeps entries past exp', () => {
    const s = store({ keyPrefix: `jwt-guard-test:${randomUUID()}`, expiryMargin: '1m' });
    expect(() => createVerifier({ ...issuer.verifierOptions(), clockTolerance: '2m', revocation: { store: s } })).toThrow(
      /clockTolerance \(120 s\) is longer than .*expiryMargin, 60 s/,
    );
  });
});

describe('a list that loses its keys (FLUSHDB)', () => {
  it('is noticed by every instance, which fail closed, write their copies back, and nothing comes undone', async () => {
    const keyPrefix = `jwt-guard-test:${randomUUID()}`;
    const eventsA: RedisRevocationEvent[] = [];
    const eventsB: RedisRevocationEvent[] = [];
    // What each instance answers for an unknown token at the moment it notices the loss: sampling
    // alone can miss a loss that is repaired between two polls on a busy machine.
    const atLoss: string[] = [];
    const recorder = (events: RedisRevocationEvent[], self: () => RedisRevocationStore) => (event: RedisRevocationEvent) => {
      events.push(event);
      if (event.type === 'revocations_lost') atLoss.push(`${self().state()}:${self().check({ jti: 'other' })}`);
    };
    const a: RedisRevocationStore = store({ keyPrefix, onEvent: recorder(eventsA, () => a) });
    await a.ready();
    expect(eventsA).toContainEqual(expect.objectContaining({ type: 'created' }));
    const b: RedisRevocationStore = store({ keyPrefix, onEvent: recorder(eventsB, () => b) });
    await b.ready();
    expect(eventsB.some((event) => event.type === 'created')).toBe(false); // the list existed
    const t = now();
    await a.revoke('leaked', t + 300);
    await b.revokeSubject('mallory', t);
    await until(() => a.size() === 2 && b.size() === 2);

    await admin.flushDb();
    const seen = new Set<string>();
    const flushedAt = Date.now();
    while (!(a.state() === 'live' && b.state() === 'live' && eventsA.some((e) => e.type === 'restored') && eventsB.some((e) => e.type === 'restored'))) {
      for (const s of [a, b]) {
        expect(s.check({ jti: 'leaked' })).toBe('revoked');
        expect(s.check({ sub: 'mallory', iat: t - 1 })).toBe('revoked');
        seen.add(`${s.state()}:${s.check({ jti: 'other' })}`);
      }
      if (Date.now() - flushedAt > 10_000) throw new Error(`not restored in 10 s: ${a.state()} ${b.state()}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    // While lost, an unknown token is 'unknown' (503 when fail-closed), never 'active'.
    expect(atLoss).toEqual(['lost:unknown', 'lost:unknown']);
    expect([...seen].filter((entry) => entry.startsWith('lost:') && entry !== 'lost:unknown')).toEqual([]);
    for (const events of [eventsA, eventsB]) {
      // 'missing' for the first to notice; the others may first see the list it wrote anew ('replaced').
      expect(events).toContainEqual({ type: 'revocations_lost', reason: expect.stringMatching(/^(missing|replaced)$/) });
      expect(events).toContainEqual(expect.objectContaining({ type: 'restored' }));
    }
    expect(await admin.zScore(`${keyPrefix}:jtis`, 'leaked')).toBe(t + 300);
    expect(await admin.hGet(`${keyPrefix}:subjects`, 'mallory')).toBe(String(t));
    // An instance started now loads them.
    const c = store({ keyPrefix });
    await c.ready();
    expect(c.check({ jti: 'leaked' })).toBe('revoked');
    expect(c.check({ sub: 'mallory', iat: t - 1 })).toBe('revoked');
    expect(c.check({ jti: 'other' })).toBe('active');
  }, 20_000);

  it('a key evicted alone (DEL of the jti set) is noticed too', async () => {
    const keyPrefix = `jwt-guard-test:${randomUUID()}`;
    const events: RedisRevocationEvent[] = [];
    const a = store({ keyPrefix }, events);
    await a.ready();
    await a.revoke('leaked', now() + 300);
    await admin.del(`${keyPrefix}:jtis`);
    await until(() => events.some((event) => event.type === 'restored'), 5_000);
    expect(events).toContainEqual({ type: 'revocations_lost', reason: 'missing' });
    expect(await admin.zScore(`${keyPrefix}:jtis`, 'leaked')).not.toBeNull();
    expect(a.state()).toBe('live');
  });
});

describe('a list larger than the copy (maxEntries)', () => {
  it('at start-up: nothing half loaded, capacity_exceeded, unknown (fail-closed)', async () => {
    const keyPrefix = `jwt-guard-test:${randomUUID()}`;
    const big = store({ keyPrefix });
    await big.ready();
    await big.revokeMany(Array.from({ length: 20 }, (_, index) => [`j-${index}`, now() + 300] as const));
    const events: RedisRevocationEvent[] = [];
    const small = store({ keyPrefix, maxEntries: 10 }, events);
    await until(() => small.state() === 'over_capacity', 5_000);
    expect(events).toContainEqual({ type: 'capacity_exceeded', entries: 20, maxEntries: 10 });
    expect(small.size()).toBe(0);
    expect(small.check({ jti: 'j-1' })).toBe('unknown');
    const verifier = createVerifier({ ...issuer.verifierOptions(), revocation: { store: small } });
    expect(await outcome(verifier.verify(await issuer.sign({ sub: 'u', jti: 'j-1' })))).toBe('revocation_unavailable');
  });

  it('on a resync: what the copy held stays revoked, the rest is unknown, until a load fits', async () => {
    const keyPrefix = `jwt-guard-test:${randomUUID()}`;
    const events: RedisRevocationEvent[] = [];
    const small = store({ keyPrefix, maxEntries: 10 }, events);
    await small.ready();
    await small.revokeMany(Array.from({ length: 3 }, (_, index) => [`known-${index}`, now() + 300] as const));
    // Twenty more, written behind its back (no message), then its pub/sub connection is killed.
    await admin.zAdd(`${keyPrefix}:jtis`, Array.from({ length: 20 }, (_, index) => ({ score: now() + 300, value: `more-${index}` })));
    await admin.clientKill({ filter: 'TYPE', type: 'pubsub' });
    await until(() => small.state() === 'over_capacity', 5_000);
    expect(events).toContainEqual({ type: 'capacity_exceeded', entries: 23, maxEntries: 10 });
    for (let index = 0; index < 3; index += 1) expect(small.check({ jti: `known-${index}` })).toBe('revoked');
    expect(small.check({ jti: 'more-1' })).toBe('unknown');
    expect(small.check({ jti: 'never-revoked' })).toBe('unknown');
    expect(events).toContainEqual(expect.objectContaining({ type: 'sync_failed' }));
    // Once the list fits again, the next load (retried with backoff) makes it live.
    await admin.zRem(
      `${keyPrefix}:jtis`,
      Array.from({ length: 20 }, (_, index) => `more-${index}`),
    );
    await until(() => small.state() === 'live', 10_000);
    expect(small.check({ jti: 'never-revoked' })).toBe('active');
  }, 20_000);

  it('over pub/sub: a message that does not fit puts the copy over capacity', async () => {
    const keyPrefix = `jwt-guard-test:${randomUUID()}`;
    const events: RedisRevocationEvent[] = [];
    const big = store({ keyPrefix });
    const small = store({ keyPrefix, maxEntries: 5 }, events);
    await Promise.all([big.ready(), small.ready()]);
    await big.revokeMany(Array.from({ length: 8 }, (_, index) => [`m-${index}`, now() + 300] as const));
    await until(() => small.state() === 'over_capacity', 2_000);
    expect(events).toContainEqual(expect.objectContaining({ type: 'capacity_exceeded', maxEntries: 5 }));
    expect(small.check({ jti: 'm-0' })).toBe('revoked');
    expect(small.check({ jti: 'm-7' })).toBe('unknown');
  });
});

describe('start-up warnings', () => {
  it('reports no eviction_policy on the default noeviction server', async () => {
    const events: RedisRevocationEvent[] = [];
    const s = store({ keyPrefix: `jwt-guard-test:${randomUUID()}` }, events);
    await s.ready();
    expect(await admin.configGet('maxmemory-policy')).toEqual({ 'maxmemory-policy': 'noeviction' });
    expect(events.some((event) => event.type === 'eviction_policy')).toBe(false);
  });

  it('reports eviction_policy allkeys-lru when the server can evict the keys', async () => {
    await admin.configSet('maxmemory-policy', 'allkeys-lru');
    try {
      const events: RedisRevocationEvent[] = [];
      const s = store({ keyPrefix: `jwt-guard-test:${randomUUID()}` }, events);
      await s.ready();
      expect(events).toContainEqual({ type: 'eviction_policy', policy: 'allkeys-lru' });
    } finally {
      await admin.configSet('maxmemory-policy', 'noeviction');
    }
  });
});
