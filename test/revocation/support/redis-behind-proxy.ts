/**
 * A redis-server for this test file with a TCP proxy in front of it (support/tcp-proxy.ts), started
 * before its tests and stopped after them: the outage tests reach Redis through `proxy.url` to play a
 * partition, and through `redis.url` to kill and restart it.
 */
import { afterAll, beforeAll } from 'vitest';
import { startRedisServer, type RedisServer } from './redis-server.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

export interface RedisBehindProxy {
  /** Set once the file's beforeAll has run. */
  readonly redis: RedisServer;
  readonly proxy: TcpProxy;
}

/** Call at the top of a test file: registers its beforeAll/afterAll. */
export function redisBehindProxy(): RedisBehindProxy {
  let redis: RedisServer | undefined;
  let proxy: TcpProxy | undefined;
  beforeAll(async () => {
    redis = await startRedisServer();
    proxy = await startTcpProxy({ port: redis.port });
  });
  afterAll(async () => {
    await proxy?.close();
    await redis?.stop();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('redisBehindProxy: used before beforeAll ran');
    return value;
  };
  return {
    get redis() {
      return started(redis);
    },
    get proxy() {
      return started(proxy);
    },
  };
}
