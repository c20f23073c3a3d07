/**
 * redisRevocationStore against a real redis-server (started by this file): writes, reads, the
 * data layout in Redis, expiry, subject semantics, key prefixes, pub/sub between instances,
 * resync after a lost connection, and close() releasing every connection.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isJwtGuardError } from '@jwt-guard/core';
import {
  redisRevocationStore,
  type RedisRevocationClient,
  type RedisRevocationEvent,
  type RedisRevocationStore,
  type RedisRevocationStoreOptions,
} from '@jwt-guard/redis';
import { createClient, RESP_TYPES, type RedisClient } from './support/redis-client.js';
import { freePort, startRedisServer, type RedisServer } from './support/redis-server.js';
import { until } from './support/wait.js';

let redis: RedisServer;
let admin: RedisClient;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  redis = await startRedisServer();
  admin = createClient({ url: redis.url });
  await admin.connect();
}, 30_000);

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

afterAll(async () => {
  await admin?.close();
  await redis?.stop();
});

const now = () => Math.floor(Date.now() / 1000);
const newPrefix = () => `jwt-guard-test:${randomUUID()}`;

/** A store on its own client (which it opens, so owns and closes); closed after the test. */
function store(options: Partial<RedisRevocationStoreOptions> = {}): RedisRevocationStore {
  const created = redisRevocationStore({ client: createClient({ url: redis.url }), keyPrefix: newPrefix(), ...options });
  cleanups.push(() => created.close());
  return created;
}

/** Members of a sorted set without the list's marker (see scripts.ts). */
const members = async (key: string) => (await admin.zRange(key, 0, -1)).filter((member) => !member.startsWith('jwt-guard:marker:'));
const fields = async (key: string) => (await admin.hKeys(key)).filter((field) => !field.startsWith('jwt-guard:marker:'));

/** The connections Redis sees, by name: one line per client in CLIENT LIST. */
async function connectionCount(): Promise<number> {
  const list = await admin.clientList();
  return list.length - 1; // without `admin` itself
}

describe('revoke and check', () => {
  it('answers unknown until loaded, then from memory: revoked for a revoked jti, active otherwise', async () => {
    const s = store();
    expect(s.state()).toBe('starting');
    expect(s.check({ jti: 'a' })).toBe('unknown');
    await s.ready();
    expect(s.state()).toBe('live');
    await s.revoke('a', now() + 60);
    expect(s.check({ jti: 'a' })).toBe('revoked');
    expect(s.check({ jti: 'b' })).toBe('active');
    expect(s.check({})).toBe('active');
    expect(s.size()).toBe(1);
  });

  it('stores a jti in a sorted set scored by exp, and keeps the later exp of two', async () => {
    const keyPrefix = newPrefix();
    const s = store({ keyPrefix });
    await s.ready();
    const exp = now() + 60;
    await s.revoke('a', exp);
    await s.revoke('a', exp - 30);
    expect(await admin.zScore(`${keyPrefix}:jtis`, 'a')).toBe(exp);
    await s.revoke('a', exp + 30);
    expect(await admin.zScore(`${keyPrefix}:jtis`, 'a')).toBe(exp + 30);
  });

  it('writes nothing for a token that expired more than expiryMargin ago; keeps one within it', async () => {
    const keyPrefix = newPrefix();
    const s = store({ keyPrefix, expiryMargin: '60s' });
    await s.ready();
    expect(s.expiryMargin).toBe(60);
    await s.revoke('old', now() - 61);
    await s.revokeMany([['older', now() - 100]]);
    expect(await members(`${keyPrefix}:jtis`)).toEqual([]);
    expect(s.size()).toBe(0);
    // Expired 5 s ago: a verifier with clockTolerance up to 60 s still accepts it.
    await s.revoke('recent', now() - 5);
    expect(await members(`${keyPrefix}:jtis`)).toEqual(['recent']);
    expect(s.check({ jti: 'recent' })).toBe('revoked');
  });

  it('forgets a jti once its token has expired (expiryMargin 0): in memory, and in Redis on the next write', async () => {
    const keyPrefix = newPrefix();
    const s = store({ keyPrefix, expiryMargin: 0 });
    await s.ready();
    const exp = now() + 1;
    await s.revoke('short', exp);
    expect(s.check({ jti: 'short' })).toBe('revoked');
    await sleep(exp * 1000 - Date.now() + 50);
    expect(s.check({ jti: 'short' })).toBe('active');
    expect(s.size()).toBe(0);
    expect(await members(`${keyPrefix}:jtis`)).toEqual(['short']);
    await s.revoke('long', now() + 60); // the purge script in the same MULTI
    expect(await members(`${keyPrefix}:jtis`)).toEqual(['long']);
  });

  it('rejects malformed input like the memory store', async () => {
    const s = store();
    await s.ready();
    await expect(s.revoke('', now() + 60)).rejects.toThrow(TypeError);
    await expect(s.revoke('a', Number.NaN)).rejects.toThrow(TypeError);
    await expect(s.revokeSubject('', now())).rejects.toThrow(TypeError);
    await expect(s.revokeSubject('a', Number.POSITIVE_INFINITY)).rejects.toThrow(TypeError);
    await expect(s.revokeMany([['a', 'soon' as unknown as number]])).rejects.toThrow(TypeError);
  });
});

describe('revokeSubject', () => {
  it('refuses tokens of the subject issued before the time (or without iat), not those issued at or after it', async () => {
    const s = store();
    await s.ready();
    const t = now();
    await s.revokeSubject('alice', t);
    expect(s.check({ sub: 'alice', iat: t - 1 })).toBe('revoked');
    expect(s.check({ sub: 'alice', iat: t })).toBe('active');
    expect(s.check({ sub: 'alice', iat: t + 5 })).toBe('active');
    expect(s.check({ sub: 'alice' })).toBe('revoked');
    expect(s.check({ sub: 'bob', iat: t - 1 })).toBe('active');
  });

  it('keeps sub → issuedBefore in a hash and in a sorted set (by issuedBefore, for expiry); never weakens', async () => {
    const keyPrefix = newPrefix();
    const s = store({ keyPrefix, maxTokenLifetime: '1h' });
    const other = store({ keyPrefix, maxTokenLifetime: '1h' });
    await Promise.all([s.ready(), other.ready()]);
    const t = now();
    await s.revokeSubject('alice', t);
    expect(await admin.hGet(`${keyPrefix}:subjects`, 'alice')).toBe(String(t));
    expect(await admin.zScore(`${keyPrefix}:subjects:expiry`, 'alice')).toBe(t);
    expect(await admin.hGetAll(`${keyPrefix}:meta`)).toMatchObject({ lifetime: '3600', margin: '300' });
    // An older revocation arriving later changes nothing, here or in Redis.
    await s.revokeSubject('alice', t - 100);
    expect(await admin.hGet(`${keyPrefix}:subjects`, 'alice')).toBe(String(t));
    expect(s.check({ sub: 'alice', iat: t - 50 })).toBe('revoked');
    await until(() => other.check({ sub: 'alice', iat: t - 50 }) === 'revoked');
    // A later one moves the line.
    await s.revokeSubject('alice', t + 10);
    expect(await admin.hGet(`${keyPrefix}:subjects`, 'alice')).toBe(String(t + 10));
    await until(() => other.check({ sub: 'alice', iat: t + 5 }) === 'revoked');
  });

  it('drops a subject revocation maxTokenLifetime (+ expiryMargin 0) after issuedBefore, from memory and from Redis', async () => {
    const keyPrefix = newPrefix();
    const s = store({ keyPrefix, maxTokenLifetime: 1, expiryMargin: 0 });
    await s.ready();
    const t = now();
    await s.revokeSubject('alice', t);
    expect(s.check({ sub: 'alice', iat: t - 1 })).toBe('revoked');
    await sleep((t + 1) * 1000 - Date.now() + 50);
    expect(s.check({ sub: 'alice', iat: t - 1 })).toBe('active');
    expect(s.size()).toBe(0);
    await s.revokeSubject('bob', now()); // a write drops what expired
    expect(await fields(`${keyPrefix}:subjects`)).toEqual(['bob']);
    expect(await members(`${keyPrefix}:subjects:expiry`)).toEqual(['bob']);
    await sleep(1100);
    expect(await s.purgeExpired()).toEqual({ jtis: 0, subjects: 1 });
    expect(await fields(`${keyPrefix}:subjects`)).toEqual([]);
    expect(await members(`${keyPrefix}:subjects:expiry`)).toEqual([]);
  });
});

describe('several instances', () => {
  it('hear of each other’s revocations over pub/sub', async () => {
    const keyPrefix = newPrefix();
    const [a, b] = [store({ keyPrefix }), store({ keyPrefix })];
    await Promise.all([a.ready(), b.ready()]);
    await a.revoke('x', now() + 60);
    await until(() => b.check({ jti: 'x' }) === 'revoked', 100);
    const t = now();
    await b.revokeSubject('carol', t);
    await until(() => a.check({ sub: 'carol', iat: t - 1 }) === 'revoked', 100);
    await a.revokeMany(Array.from({ length: 12_345 }, (_, index) => [`m-${index}`, now() + 60] as const));
    expect(await members(`${keyPrefix}:jtis`)).toHaveLength(12_346);
    await until(() => b.size() === 12_347, 2_000);
  });

  it('load what was revoked before they started', async () => {
    const keyPrefix = newPrefix();
    const first = store({ keyPrefix });
    await first.ready();
    await first.revoke('early', now() + 60);
    const t = now();
    await first.revokeSubject('dave', t);
    const late = store({ keyPrefix });
    expect(late.check({ jti: 'early' })).toBe('unknown');
    await late.ready();
    expect(late.check({ jti: 'early' })).toBe('revoked');
    expect(late.check({ sub: 'dave', iat: t - 5 })).toBe('revoked');
    expect(late.size()).toBe(2);
  });

  it('are isolated by keyPrefix: keys, channel and copies', async () => {
    const [p1, p2] = [newPrefix(), newPrefix()];
    const one = store({ keyPrefix: p1 });
    const two = store({ keyPrefix: p2 });
    const twoAgain = store({ keyPrefix: p2 });
    await Promise.all([one.ready(), two.ready(), twoAgain.ready()]);
    await one.revoke('shared-jti', now() + 60);
    await one.revokeSubject('shared-sub', now());
    await two.revoke('other', now() + 60);
    await until(() => twoAgain.check({ jti: 'other' }) === 'revoked', 100);
    expect(two.check({ jti: 'shared-jti' })).toBe('active');
    expect(twoAgain.check({ sub: 'shared-sub', iat: 1 })).toBe('active');
    expect(one.check({ jti: 'other' })).toBe('active');
    const listKeys = (prefix: string) => [`${prefix}:jtis`, `${prefix}:meta`, `${prefix}:subjects`, `${prefix}:subjects:expiry`];
    expect((await admin.keys(`${p1}:*`)).sort()).toEqual(listKeys(p1));
    expect((await admin.keys(`${p2}:*`)).sort()).toEqual(listKeys(p2));
    expect(await members(`${p2}:jtis`)).toEqual(['other']);
    expect(await fields(`${p2}:subjects`)).toEqual([]);
    // The channel names the prefix and the database (0 here).
    expect((await admin.pubSubChannels(`${p1}:*`)).sort()).toEqual([`${p1}:events:0`]);
  });

  it('uses the default key prefix jwt-guard:revocation', async () => {
    const s = redisRevocationStore({ client: createClient({ url: redis.url }) });
    cleanups.push(() => s.close());
    await s.ready();
    await s.revoke('default-prefix', now() + 60);
    expect(await admin.zScore('jwt-guard:revocation:jtis', 'default-prefix')).not.toBeNull();
    await admin.del(['jwt-guard:revocation:jtis', 'jwt-guard:revocation:meta', 'jwt-guard:revocation:subjects', 'jwt-guard:revocation:subjects:expiry']);
  });

  it('lose nothing written while one resyncs after its pub/sub connection was killed', async () => {
    const keyPrefix = newPrefix();
    const events: RedisRevocationEvent[] = [];
    const writer = store({ keyPrefix });
    const reader = store({ keyPrefix, onEvent: (event) => events.push(event) });
    await Promise.all([writer.ready(), reader.ready()]);
    let written = 0;
    let writing = true;
    const load = (async () => {
      while (writing) {
        await writer.revokeMany(Array.from({ length: 50 }, () => [`w-${written++}`, now() + 60] as const));
      }
    })();
    // Kill the reader's subscriber (and the writer's) a few times while writes go on.
    for (let round = 0; round < 3; round += 1) {
      await sleep(100);
      await admin.clientKill({ filter: 'TYPE', type: 'pubsub' });
      await until(() => events.filter((event) => event.type === 'synced' && !event.initial).length > round, 5_000);
    }
    await sleep(50);
    writing = false;
    await load;
    await until(() => reader.size() === written, 2_000);
    expect(await members(`${keyPrefix}:jtis`)).toHaveLength(written);
    expect(events.filter((event) => event.type === 'disconnected')).toHaveLength(3);
    expect(reader.state()).toBe('live');
  });
});

describe('clients', () => {
  it('accepts RESP3 clients and clients with a type mapping (replies are read as strings regardless)', async () => {
    const keyPrefix = newPrefix();
    const resp3 = createClient({ url: redis.url, RESP: 3 });
    const buffers = createClient({ url: redis.url, RESP: 3, commandOptions: { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } } });
    const a = store({ client: resp3, keyPrefix });
    const b = store({ client: buffers, keyPrefix });
    await Promise.all([a.ready(), b.ready()]);
    await a.revoke('r3', now() + 60);
    const t = now();
    await b.revokeSubject('eve', t);
    const late = store({ client: createClient({ url: redis.url, RESP: 3, commandOptions: { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } } }), keyPrefix });
    await late.ready();
    expect(late.check({ jti: 'r3' })).toBe('revoked');
    expect(late.check({ sub: 'eve', iat: t - 1 })).toBe('revoked');
  });

  it('takes node-redis clients as they come, typed without any', () => {
    // Compile-time: each of these is a RedisRevocationClient.
    const clients: RedisRevocationClient[] = [
      createClient(),
      createClient({ RESP: 3 }),
      createClient({ commandOptions: { typeMapping: { [RESP_TYPES.MAP]: Map } } }),
      createClient().withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer }),
    ];
    expect(clients).toHaveLength(4);
  });

  it('connects a client that is not open, and closes it on close(); leaves an open client open', async () => {
    const before = await connectionCount();
    const unopened = createClient({ url: redis.url });
    const owned = redisRevocationStore({ client: unopened, keyPrefix: newPrefix() });
    await owned.ready();
    expect(unopened.isOpen).toBe(true);
    expect(await connectionCount()).toBe(before + 2); // the client, and the store's subscriber
    await owned.close();
    expect(unopened.isOpen).toBe(false);
    await expect.poll(connectionCount).toBe(before);

    const opened = createClient({ url: redis.url });
    await opened.connect();
    const borrowed = redisRevocationStore({ client: opened, keyPrefix: newPrefix() });
    await borrowed.ready();
    expect(await connectionCount()).toBe(before + 2);
    await borrowed.close();
    expect(opened.isOpen).toBe(true);
    await expect.poll(connectionCount).toBe(before + 1);
    await opened.close();
    await expect.poll(connectionCount).toBe(before);
  });

  it('after close(): answers unknown, refuses writes; close() twice is fine', async () => {
    const s = store();
    await s.ready();
    await s.revoke('a', now() + 60);
    await s.close();
    await s.close();
    expect(s.state()).toBe('closed');
    expect(s.check({ jti: 'b' })).toBe('unknown');
    expect(s.check({ jti: 'a' })).toBe('revoked');
    await expect(s.revoke('c', now() + 60)).rejects.toThrow(/closed/);
  });

  it('closes cleanly before Redis was ever reached: ready() rejects, nothing stays open', async () => {
    const port = await freePort(); // nothing listens there
    const client = createClient({ url: `redis://127.0.0.1:${port}` });
    const events: RedisRevocationEvent[] = [];
    const s = redisRevocationStore({ client, onEvent: (event) => events.push(event) });
    await until(() => events.some((event) => event.type === 'error' && event.source === 'client'), 2_000);
    expect(s.check({ jti: 'a' })).toBe('unknown');
    expect(s.state()).toBe('starting');
    await s.close();
    await expect(s.ready()).rejects.toThrow(/closed before it was ready/);
    expect(client.isOpen).toBe(false);
  });
});

describe('options', () => {
  const client = createClient();
  it.each([
    ['no options', undefined],
    ['no client', {}],
    ['not a client', { client: { url: 'redis://x' } }],
    ['an empty keyPrefix', { client, keyPrefix: '' }],
    ['a malformed maxStaleness', { client, maxStaleness: 'soon' }],
    ['a maxStaleness under 0.1 s', { client, maxStaleness: 0.05 }],
    ['a negative expiryMargin', { client, expiryMargin: -1 }],
    ['a maxEntries of zero', { client, maxEntries: 0 }],
    ['a negative maxTokenLifetime', { client, maxTokenLifetime: -1 }],
    ['onEvent not a function', { client, onEvent: 'log' }],
  ])('refuses %s at start-up with config_invalid', (_name, options) => {
    let error: unknown;
    try {
      redisRevocationStore(options as RedisRevocationStoreOptions);
    } catch (caught) {
      error = caught;
    }
    expect(isJwtGuardError(error) && error.code).toBe('config_invalid');
  });

  it('takes durations as seconds or strings', async () => {
    for (const maxStaleness of [10, 0.5, '10s', '0.5s', '1.5 min', '1h']) {
      const s = store({ maxStaleness, maxTokenLifetime: '2 hours' });
      await s.close();
    }
  });

  it('survives an onEvent that throws', async () => {
    const s = store({
      onEvent: () => {
        throw new Error('logger down');
      },
    });
    await s.ready();
    await s.revoke('a', now() + 60);
    expect(s.check({ jti: 'a' })).toBe('revoked');
  });
});
