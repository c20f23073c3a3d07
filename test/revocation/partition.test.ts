/**
 * A network partition between the store and a real redis-server, played by a loopback TCP proxy
 * (support/tcp-proxy.ts) that goes silent, then resets every connection. The copy's age counts
 * from when Redis was last heard: it goes stale maxStaleness after that, and stays stale when TCP
 * notices the failure — late (the reset) or early — until a reload through a working link.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { redisRevocationStore, type RedisRevocationEvent, type RedisRevocationStore } from '@jwt-guard/redis';
import { createClient } from './support/redis-client.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';
import { until } from './support/wait.js';

const MAX_STALENESS_MS = 2000;
/** The store pings every maxStaleness / 4: Redis was last heard at most that long before the silence. */
const HEARTBEAT_MS = MAX_STALENESS_MS / 4;
const SAMPLE_MS = 20;
/**
 * Bounds on when the first 'unknown' comes, in ms after the proxy last passed on a byte from
 * Redis: stale at (last heard + maxStaleness), last heard at most a heartbeat earlier; the bounds
 * leave room for a busy machine's late timers (450 ms). Counting from the failure noticed (0.5 s
 * into the silence, or later) or from a heartbeat reply overdue (two heartbeats) would put it at
 * 2.5 s or later.
 */
const STALE_AFTER_MIN_MS = MAX_STALENESS_MS - HEARTBEAT_MS - 500;
const STALE_AFTER_MAX_MS = MAX_STALENESS_MS + 450;
const nowSeconds = () => Math.floor(Date.now() / 1000);

interface Sample {
  at: number;
  unknownJti: string;
  revokedJti: string;
  state: string;
}

let redis: RedisServer;
let proxy: TcpProxy | undefined;
let store: RedisRevocationStore | undefined;
/** What node-redis told of the store's client connection (for a failure's message). */
const clientLog: Array<{ name: string; at: number }> = [];

beforeAll(async () => {
  redis = await startRedisServer();
}, 30_000);

afterEach(async () => {
  await store?.close();
  await proxy?.close();
  store = undefined;
  proxy = undefined;
});

afterAll(async () => {
  await redis?.stop();
});

/** A live store whose connections all go through a fresh proxy, with one jti revoked. */
async function partitionedStore(): Promise<{ proxy: TcpProxy; store: RedisRevocationStore; events: Array<RedisRevocationEvent & { at: number }>; keyPrefix: string }> {
  const events: Array<RedisRevocationEvent & { at: number }> = [];
  const keyPrefix = `jwt-guard-test:${randomUUID()}`;
  proxy = await startTcpProxy({ port: redis.port });
  const client = createClient({ url: proxy.url });
  clientLog.length = 0;
  for (const name of ['connect', 'ready', 'reconnecting', 'end'] as const) client.on(name, () => clientLog.push({ name, at: Date.now() }));
  // The store's pub/sub connection is the client's duplicate: what node-redis tells of it is logged too.
  const duplicate = client.duplicate.bind(client);
  client.duplicate = ((...args: Parameters<typeof client.duplicate>) => {
    const sub = duplicate(...args);
    for (const name of ['connect', 'ready', 'reconnecting', 'end'] as const) sub.on(name, () => clientLog.push({ name: `sub:${name}`, at: Date.now() }));
    return sub;
  }) as typeof client.duplicate;
  store = redisRevocationStore({
    client,
    keyPrefix,
    maxStaleness: `${MAX_STALENESS_MS / 1000}s`,
    onEvent: (event) => events.push({ ...event, at: Date.now() }),
  });
  await store.ready();
  await store.revoke('known-revoked', nowSeconds() + 300);
  expect(store.check({ jti: 'known-revoked' })).toBe('revoked');
  // A working link is never stale: heard from every heartbeat, well within maxStaleness.
  const live = await sample(store, Date.now() + 3 * HEARTBEAT_MS);
  expect(summary(live.filter((x) => x.unknownJti !== 'active' || x.state !== 'live'), live[0]?.at ?? 0)).toEqual([]);
  return { proxy, store, events, keyPrefix };
}

/** Goes silent just after a byte from Redis went through: returns when Redis was last heard, at the latest. */
async function goSilent(p: TcpProxy): Promise<number> {
  const before = p.lastFromServerAt;
  await until(() => p.lastFromServerAt > before, HEARTBEAT_MS * 4);
  p.silent();
  return p.lastFromServerAt;
}

/** Samples the store every SAMPLE_MS until `end` (Date.now() ms), calling `at` hooks on the way. */
async function sample(s: RedisRevocationStore, end: number, hooks: Array<{ at: number; run: () => void }> = []): Promise<Sample[]> {
  const samples: Sample[] = [];
  const pending = [...hooks];
  for (;;) {
    const at = Date.now();
    for (const hook of pending.filter((h) => h.at <= at)) {
      pending.splice(pending.indexOf(hook), 1);
      hook.run();
    }
    samples.push({
      at,
      unknownJti: s.check({ jti: `never-revoked-${samples.length}` }),
      revokedJti: s.check({ jti: 'known-revoked' }),
      state: s.state(),
    });
    if (at >= end) return samples;
    await sleep(SAMPLE_MS);
  }
}

/** The store's state and every event, times from `origin` (for a failure's message). */
function history(s: RedisRevocationStore, events: Array<RedisRevocationEvent & { at: number }>, origin: number, p?: TcpProxy): string {
  const told = events.map((e) => `${e.type}${'source' in e ? `:${e.source}` : ''} at ${e.at - origin} ms${'error' in e && e.error !== undefined ? ` (${e.error.message})` : ''}`);
  const accepted = p === undefined ? '' : `; proxy accepted connections at ${p.acceptedAt.map((at) => `${at - origin}`).join(', ')} ms`;
  const client = clientLog.map((e) => `${e.name} at ${e.at - origin}`).join(', ');
  return `state ${s.state()}; events: ${told.join(', ')}${accepted}; client: ${client}`;
}

/** Samples, in short (for a failure's message; times from `origin`): [] if there are none. */
function summary(samples: Sample[], origin: number): string[] {
  const [first] = samples;
  const last = samples.at(-1);
  if (first === undefined || last === undefined) return [];
  return [`${samples.length} samples, +${first.at - origin} to +${last.at - origin} ms; first: ${first.unknownJti}, ${first.revokedJti}, ${first.state}`];
}

/** The first sample not answered 'active', and every sample until then answered 'active'. */
function firstUnknown(samples: Sample[], origin: number): Sample {
  const index = samples.findIndex((x) => x.unknownJti !== 'active');
  expect(index, 'the copy never went stale').toBeGreaterThan(0);
  expect(summary(samples.slice(0, index).filter((x) => x.unknownJti !== 'active' || x.state === 'stale'), origin)).toEqual([]);
  return samples[index] as Sample;
}

describe('a partition between the store and Redis', () => {
  it('silent link: stale maxStaleness after Redis was last heard, and still stale when TCP resets it 6 s in', async () => {
    const { proxy: p, store: s, events } = await partitionedStore();
    const lastHeard = await goSilent(p);
    const silentAt = Date.now();
    let resetAt = 0;
    const samples = await sample(s, silentAt + 9_000, [
      {
        at: silentAt + 6_000,
        run: () => {
          resetAt = Date.now();
          expect(p.reset()).toBeGreaterThanOrEqual(2); // the client's connection and the subscriber's
        },
      },
    ]);
    const stale = firstUnknown(samples, silentAt);
    const afterReset = samples.filter((x) => x.at > resetAt);
    const fromStale = samples.filter((x) => x.at >= stale.at);

    // TCP noticed the failure at the reset: the copy is no fresher for it.
    expect.soft(events.filter((e) => e.type === 'disconnected' && e.at < resetAt).map((e) => e.at - silentAt)).toEqual([]);
    expect.soft(events.some((e) => e.type === 'disconnected' && e.at >= resetAt)).toBe(true);
    expect.soft(afterReset.length).toBeGreaterThanOrEqual(50); // ≥ 3 s of samples, every ~20 ms
    expect.soft(summary(afterReset.filter((x) => x.unknownJti !== 'unknown'), silentAt)).toEqual([]);
    expect.soft(summary(fromStale.filter((x) => x.unknownJti !== 'unknown' || x.state !== 'stale'), silentAt)).toEqual([]);
    expect.soft(summary(samples.filter((x) => x.revokedJti !== 'revoked'), silentAt)).toEqual([]);
    // Stale maxStaleness after the last sign of life, not after a reply became overdue.
    expect.soft(stale.at - lastHeard).toBeGreaterThanOrEqual(STALE_AFTER_MIN_MS);
    expect.soft(stale.at - lastHeard).toBeLessThanOrEqual(STALE_AFTER_MAX_MS);
    // One stale event, counted from the last sign of life.
    const staleEvents = events.filter((e) => e.type === 'stale');
    expect.soft(staleEvents.map((e) => `stale at +${e.at - silentAt} ms`)).toHaveLength(1);
    const unreachableForMs = staleEvents[0]?.type === 'stale' ? staleEvents[0].unreachableForMs : NaN;
    expect.soft(unreachableForMs).toBeGreaterThan(MAX_STALENESS_MS);
    expect.soft(unreachableForMs).toBeLessThanOrEqual(MAX_STALENESS_MS + HEARTBEAT_MS + 400);

    // The link heals: reloaded, live, answering again.
    const synced = events.filter((e) => e.type === 'synced').length;
    p.forward();
    const forwardedAt = Date.now();
    await until(() => s.state() === 'live', 10_000, () => history(s, events, forwardedAt, p));
    expect(events.filter((e) => e.type === 'synced').length).toBeGreaterThan(synced);
    expect(s.check({ jti: 'healed' })).toBe('active');
    expect(s.check({ jti: 'known-revoked' })).toBe('revoked');
  }, 25_000);

  it('a failure TCP notices at once (reset 0.5 s into the silence): still stale maxStaleness after Redis was last heard', async () => {
    const { proxy: p, store: s, events } = await partitionedStore();
    const lastHeard = await goSilent(p);
    const silentAt = Date.now();
    let resetAt = 0;
    const samples = await sample(s, silentAt + 3_500, [
      {
        at: silentAt + 500,
        run: () => {
          resetAt = Date.now();
          p.reset();
        },
      },
    ]);
    const disconnected = events.find((e) => e.type === 'disconnected');
    // Noticed within moments of the reset (a RST), well before the copy went stale.
    expect(disconnected).toBeDefined();
    expect((disconnected?.at ?? Infinity) - resetAt).toBeLessThan(500);
    const stale = firstUnknown(samples, silentAt);
    expect.soft(summary(samples.filter((x) => x.at >= stale.at && (x.unknownJti !== 'unknown' || x.state !== 'stale')), silentAt)).toEqual([]);
    expect.soft(summary(samples.filter((x) => x.revokedJti !== 'revoked'), silentAt)).toEqual([]);
    const noticedAt = disconnected?.at ?? resetAt;
    expect.soft(summary(samples.filter((x) => x.at > noticedAt && x.at < stale.at && x.state !== 'disconnected'), silentAt)).toEqual([]);
    // From the last sign of life (≈ 2 s), not from the disconnect (0.5 s + 2 s).
    expect.soft(stale.at - lastHeard).toBeGreaterThanOrEqual(STALE_AFTER_MIN_MS);
    expect.soft(stale.at - lastHeard).toBeLessThanOrEqual(STALE_AFTER_MAX_MS);

    p.forward();
    const forwardedAt = Date.now();
    await until(() => s.state() === 'live', 10_000, () => history(s, events, forwardedAt, p));
    expect(s.check({ jti: 'healed' })).toBe('active');
    expect(s.check({ jti: 'known-revoked' })).toBe('revoked');
  }, 20_000);

  it('a pub/sub connection that reconnects but never gets through its handshake is replaced, and the copy is live again', async () => {
    const { proxy: p, store: s, events, keyPrefix } = await partitionedStore();
    // The store connected its client first, then the pub/sub connection (start()).
    expect(p.acceptedAt).toHaveLength(2);
    p.silenceNewConnections(true);
    const cutAt = Date.now();
    expect(p.resetConnection(1)).toBe(true);
    await until(() => p.acceptedAt.length === 3, 5_000, () => history(s, events, cutAt, p));
    // The reconnect got a connection that stays silent: without a replacement it would never be ready.
    p.silenceNewConnections(false);
    await until(() => events.some((e) => e.type === 'subscriber_replaced'), 6_000, () => history(s, events, cutAt, p));
    await until(() => s.state() === 'live', 10_000, () => history(s, events, cutAt, p));
    const replacedAt = events.find((e) => e.type === 'subscriber_replaced')!.at;
    expect(events.some((e) => e.type === 'synced' && e.at > replacedAt)).toBe(true);
    expect(s.check({ jti: 'healed' })).toBe('active');
    expect(s.check({ jti: 'known-revoked' })).toBe('revoked');
    // What another instance publishes now reaches this one through the new connection.
    const writer = createClient({ url: `redis://127.0.0.1:${redis.port}` });
    writer.on('error', () => undefined);
    const other = redisRevocationStore({ client: writer, keyPrefix, maxStaleness: '2s' });
    try {
      await other.ready();
      await other.revoke('revoked-elsewhere', nowSeconds() + 300);
      await until(() => s.check({ jti: 'revoked-elsewhere' }) === 'revoked', 5_000);
    } finally {
      await other.close();
    }
  }, 30_000);
});
