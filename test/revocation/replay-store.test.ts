/**
 * redisReplayStore against a real redis-server: first use and replay, expiry, long keys, and the
 * atomicity the DPoP check relies on — concurrent claims from two clients, and from another process.
 * Redis failing (down, silent, garbage) is replay-outage.test.ts.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isJwtGuardError } from '@jwt-guard/core';
import { redisReplayStore, type RedisReplayStore, type RedisReplayStoreOptions } from '@jwt-guard/redis';
import { createClient, type RedisClient } from './support/redis-client.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const claimer = fileURLToPath(new URL('./fixtures/replay-claimer.ts', import.meta.url));
const keyPrefix = `jwt-guard-test:${randomUUID()}:`;
const inAMinute = () => Date.now() / 1000 + 60;
let redis: RedisServer;
let client: RedisClient;
let store: RedisReplayStore;

beforeAll(async () => {
  redis = await startRedisServer();
  client = createClient({ url: redis.url });
  await client.connect();
  store = redisReplayStore({ client, keyPrefix });
});

afterAll(async () => {
  await store?.close();
  client?.destroy();
  await redis?.stop();
});

/** Claims `keys` in another node process with its own client and store; what each claim answered. */
function claimInAnotherProcess(keys: string[]): Promise<Array<boolean | string>> {
  const env: NodeJS.ProcessEnv = { ...process.env, REDIS_URL: redis.url, KEY_PREFIX: keyPrefix };
  delete env.NODE_OPTIONS; // nothing of vitest's in the child
  const child = spawn(process.execPath, ['--import', 'tsx', claimer, ...keys], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`replay claimer exited with ${code}:\n${stderr}`));
      else resolve((JSON.parse(stdout) as { claims: Array<boolean | string> }).claims);
    });
  });
}

/** The `config_invalid` message construction throws, or 'constructed'. */
function constructionError(options: unknown): string {
  try {
    redisReplayStore(options as RedisReplayStoreOptions).close().catch(() => undefined);
    return 'constructed';
  } catch (error) {
    return isJwtGuardError(error) && error.code === 'config_invalid' ? error.message : `not config_invalid: ${String(error)}`;
  }
}

describe('redisReplayStore options', () => {
  it.each([
    ['no options', undefined, /needs \{ client \}/],
    ['no client', {}, /a node-redis v5 client/],
    ['something else as client', { client: { get: () => undefined } }, /a node-redis v5 client/],
    ['a misspelt option', { client: createClient(), keyprefix: 'x:' }, /unknown option "keyprefix"; did you mean "keyPrefix"\?/],
    ['an empty keyPrefix', { client: createClient(), keyPrefix: '' }, /keyPrefix must be a non-empty string/],
    ['a zero timeout', { client: createClient(), timeout: 0 }, /timeout must be greater than zero/],
    ['an unreadable timeout', { client: createClient(), timeout: 'soon' }, /timeout must be a non-negative number of seconds/],
    ['onError that is not a function', { client: createClient(), onError: 'log' }, /onError must be a function/],
  ])('%s: config_invalid at construction', (_label, options, message) => {
    expect(constructionError(options)).toMatch(message);
  });
});

describe('redisReplayStore in Redis', () => {
  it('the first claim of a key is true, every later one false; the key is <keyPrefix><key>, kept until expiresAt', async () => {
    const key = `jkt.${randomUUID()}`;
    const expiresAt = Date.now() / 1000 + 30;
    expect(await store.claim(key, expiresAt)).toBe(true);
    expect(await store.claim(key, expiresAt)).toBe(false);
    expect(await store.claim(key, expiresAt + 60)).toBe(false); // a later expiry is no second first use
    expect(await store.claim(`${key}.other`, expiresAt)).toBe(true);
    const ttl = await client.pTTL(`${keyPrefix}${key}`);
    expect(ttl).toBeGreaterThan(29_000);
    expect(ttl).toBeLessThanOrEqual(30_000);
  });

  it('another keyPrefix is another set of proofs', async () => {
    const key = randomUUID();
    const other = redisReplayStore({ client, keyPrefix: `${keyPrefix}other:` });
    expect(await store.claim(key, inAMinute())).toBe(true);
    expect(await other.claim(key, inAMinute())).toBe(true);
    expect(await other.claim(key, inAMinute())).toBe(false);
    await other.close();
    expect(client.isOpen, 'a client the caller opened stays open').toBe(true);
  });

  it('a key claimed until now + 1 s is refused until then, and can be claimed again once it has expired', async () => {
    const key = randomUUID();
    const expiresAt = Date.now() / 1000 + 1;
    expect(await store.claim(key, expiresAt)).toBe(true);
    expect(await store.claim(key, expiresAt)).toBe(false);
    await sleep(Math.max(0, expiresAt * 1000 - Date.now()) + 100);
    expect(await store.claim(key, Date.now() / 1000 + 1)).toBe(true);
  });

  it('an expiresAt already past is still claimed, and kept for one second: a replay arriving with it is refused', async () => {
    const key = randomUUID();
    const past = Date.now() / 1000 - 30;
    expect(await store.claim(key, past)).toBe(true);
    expect(await store.claim(key, past)).toBe(false);
    const ttl = await client.pTTL(`${keyPrefix}${key}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(1_000);
    await sleep(1_100);
    expect(await store.claim(key, past)).toBe(true);
  });

  it('a key longer than 200 bytes is stored by its SHA-256 (bounded), and still told apart from every other key', async () => {
    const long = `${'x'.repeat(5_000)}-a`;
    const sibling = `${'x'.repeat(5_000)}-b`; // the same first 5 000 characters
    expect(await store.claim(long, inAMinute())).toBe(true);
    expect(await store.claim(long, inAMinute())).toBe(false);
    expect(await store.claim(sibling, inAMinute())).toBe(true);
    const stored = await client.keys(`${keyPrefix}sha256:*`);
    expect(stored.length).toBeGreaterThanOrEqual(2);
    for (const name of stored) expect(name.length).toBe(keyPrefix.length + 'sha256:'.length + 64);
    // A short key spelt like a stored hash is hashed itself: it cannot claim (or block) that proof.
    const spoof = stored[0]!.slice(keyPrefix.length);
    expect(await store.claim(spoof, inAMinute())).toBe(true);
  });

  it('a key of 200 multi-byte characters is bounded by bytes, not characters', async () => {
    const key = `${randomUUID()}${'é'.repeat(200)}`;
    expect(await store.claim(key, inAMinute())).toBe(true);
    expect(await store.claim(key, inAMinute())).toBe(false);
    expect(await client.exists(`${keyPrefix}${key}`)).toBe(0);
  });

  it('a missing key or expiry rejects (the guard answers 503), never true', async () => {
    const claim = (key: unknown, expiresAt: unknown) => store.claim(key as string, expiresAt as number);
    await expect(claim('', inAMinute())).rejects.toThrow(TypeError);
    await expect(claim(undefined, inAMinute())).rejects.toThrow(TypeError);
    await expect(claim(randomUUID(), Number.NaN)).rejects.toThrow(TypeError);
    await expect(claim(randomUUID(), '1700000000')).rejects.toThrow(TypeError);
  });

  it('50 concurrent claims of one key from two separate clients: exactly one is true', async () => {
    const second = createClient({ url: redis.url });
    const secondStore = redisReplayStore({ client: second, keyPrefix }); // connects it on the first claim
    try {
      for (let round = 0; round < 5; round += 1) {
        const key = randomUUID();
        const claims = await Promise.all(Array.from({ length: 50 }, (_, index) => (index % 2 === 0 ? store : secondStore).claim(key, inAMinute())));
        expect(claims.filter((first) => first)).toEqual([true]);
      }
    } finally {
      await secondStore.close();
    }
    expect(second.isOpen, 'a client the store opened is closed by close()').toBe(false);
    await expect(secondStore.claim(randomUUID(), inAMinute()), 'nor opened again by a claim after close()').rejects.toMatchObject({ code: 'redis_error' });
    expect(second.isOpen).toBe(false);
  });

  it('another process, with its own client and store on the same Redis, is refused what this one claimed, and the other way round', async () => {
    const mine = randomUUID();
    const theirs = randomUUID();
    expect(await store.claim(mine, inAMinute())).toBe(true);
    expect(await claimInAnotherProcess([mine, theirs, theirs])).toEqual([false, true, false]);
    expect(await store.claim(theirs, inAMinute())).toBe(false);
  });
});
