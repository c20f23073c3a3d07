/**
 * redisReplayStore when Redis fails: down, silent (a partition) or answering what Redis never
 * would. Every claim rejects — within `timeout` — with a RedisReplayStoreError (the guard answers
 * 503); none resolves true on doubt.
 */
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { redisReplayStore, RedisReplayStoreError } from '@jwt-guard/redis';
import { createClient } from './support/redis-client.js';
import { redisBehindProxy } from './support/redis-behind-proxy.js';

const TIMEOUT_MS = 300;
const inAMinute = () => Date.now() / 1000 + 60;
const servers = redisBehindProxy();

/** A replay store on Redis at `url` with a 300 ms timeout; client errors collected. */
function storeAt(url: string) {
  const client = createClient({ url, socket: { reconnectStrategy: 50 } });
  const errors: Error[] = [];
  const store = redisReplayStore({ client, keyPrefix: `jwt-guard-test:${randomUUID()}:`, timeout: TIMEOUT_MS / 1000, onError: (error) => errors.push(error) });
  return { store, client, errors };
}

/** What a claim settled with — a value, or the RedisReplayStoreError code — and after how long. */
async function timedClaim(store: ReturnType<typeof storeAt>['store'], key: string) {
  const started = performance.now();
  const outcome = await store.claim(key, inAMinute()).then(
    (first) => first,
    (error: unknown) => (error instanceof RedisReplayStoreError ? error.code : `not a RedisReplayStoreError: ${String(error)}`),
  );
  return { outcome, elapsedMs: performance.now() - started };
}

/**
 * A TCP server on 127.0.0.1 that answers every command (RESP arrays, counted by their `*N` header
 * lines) with `reply`: something that is not Redis, or a broken proxy in front of it.
 */
async function startFakeRedis(reply: string) {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      const commands = chunk.toString('latin1').split('\r\n').filter((line) => /^\*\d+$/.test(line)).length;
      socket.write(reply.repeat(commands));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `redis://127.0.0.1:${port}`,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('redisReplayStore when Redis fails', () => {
  it('a Redis that accepts and never answers: the claim rejects with redis_timeout within the timeout, and claims work again once it answers', async () => {
    const { store, client } = storeAt(servers.proxy.url);
    try {
      expect(await store.claim(randomUUID(), inAMinute())).toBe(true);
      servers.proxy.silent();
      const key = randomUUID();
      const { outcome, elapsedMs } = await timedClaim(store, key);
      expect(outcome).toBe('redis_timeout');
      expect(elapsedMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 10);
      expect(elapsedMs).toBeLessThan(TIMEOUT_MS + 700);
      servers.proxy.forward();
      expect(await store.claim(randomUUID(), inAMinute())).toBe(true);
      // The SET that timed out reached Redis once the link came back: that proof stays used (fail closed).
      expect(await store.claim(key, inAMinute())).toBe(false);
    } finally {
      servers.proxy.forward();
      await store.close();
      if (client.isOpen) client.destroy();
    }
  });

  it('a killed Redis: claims reject within the timeout, client errors go to onError (no crash), and claims work after a restart', async () => {
    const { store, client, errors } = storeAt(servers.redis.url);
    try {
      expect(await store.claim(randomUUID(), inAMinute())).toBe(true);
      await servers.redis.kill();
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const { outcome, elapsedMs } = await timedClaim(store, randomUUID());
        expect(['redis_timeout', 'redis_error']).toContain(outcome);
        expect(elapsedMs).toBeLessThan(TIMEOUT_MS + 700);
      }
      expect(errors.length).toBeGreaterThan(0);
      await servers.redis.restart();
      const deadline = Date.now() + 5_000;
      let outcome: boolean | string = 'not tried';
      while (outcome !== true && Date.now() < deadline) outcome = (await timedClaim(store, randomUUID())).outcome;
      expect(outcome).toBe(true);
    } finally {
      await store.close();
      if (client.isOpen) client.destroy();
      if (!servers.redis.running) await servers.redis.restart();
    }
  });

  it('a Redis that was never there: the first claim rejects (the connection refused), within the timeout', async () => {
    const fake = await startFakeRedis('');
    await fake.close(); // its port now refuses connections
    const client = createClient({ url: fake.url, socket: { reconnectStrategy: false } });
    const store = redisReplayStore({ client, timeout: TIMEOUT_MS / 1000, onError: () => undefined });
    const { outcome, elapsedMs } = await timedClaim(store, randomUUID());
    expect(['redis_error', 'redis_timeout']).toContain(outcome);
    expect(elapsedMs).toBeLessThan(TIMEOUT_MS + 700);
    await store.close();
  });

  it.each([
    { label: 'an integer', reply: ':1\r\n', code: 'unexpected_reply' },
    { label: 'another status', reply: '+QUEUED\r\n', code: 'unexpected_reply' },
    { label: 'an array', reply: '*1\r\n$2\r\nOK\r\n', code: 'unexpected_reply' },
    { label: 'an error reply', reply: '-ERR not today\r\n', code: 'redis_error' },
  ])('a server answering SET NX with $label: the claim rejects with $code, never true', async ({ reply, code }) => {
    const fake = await startFakeRedis(reply);
    const client = createClient({ url: fake.url, socket: { reconnectStrategy: false } });
    const store = redisReplayStore({ client, timeout: TIMEOUT_MS / 1000, onError: () => undefined });
    try {
      const { outcome } = await timedClaim(store, randomUUID());
      expect(outcome).toBe(code);
    } finally {
      await store.close().catch(() => undefined);
      if (client.isOpen) client.destroy();
      await fake.close();
    }
  });
});
