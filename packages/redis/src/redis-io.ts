import type { RedisRevocationClient } from './client.js';
import { ENSURE, PROBE, PURGE_EXPIRED, REVOKE_SUBJECT } from './scripts.js';

/**
 * An applied change: a batch of jtis with their exp, or of subjects with their issuedBefore, as
 * one flat list `[key, time, key, time, …]` — the very list a pub/sub message carries.
 */
export type Change = { kind: 'jtis' | 'subjects'; pairs: Array<string | number> };

/** The Redis keys and the pub/sub channel of one store. */
export interface RedisKeys {
  meta: string;
  jtis: string;
  subjects: string;
  subjectExpiry: string;
  channel: string;
}

/**
 * Keys from the prefix; the channel from the prefix and the database number too, because pub/sub
 * channels are server-wide: two apps told apart only by their database must not hear each other.
 */
export function redisKeys(prefix: string, database: number): RedisKeys {
  return {
    meta: `${prefix}:meta`,
    jtis: `${prefix}:jtis`,
    subjects: `${prefix}:subjects`,
    subjectExpiry: `${prefix}:subjects:expiry`,
    channel: `${prefix}:events:${database}`,
  };
}

/** Members and fields that mark a data key as whole (see scripts.ts); never revocations. */
export const MARKER_PREFIX = 'jwt-guard:marker:';

const SCAN_COUNT = '5000';
/** Default reply types (strings), whatever `typeMapping` the caller's client has. */
const PLAIN = { typeMapping: {} };

export const nowSeconds = (): number => Date.now() / 1000;

/** Entries per MULTI (and per pub/sub message) in `revokeMany`. */
const BATCH = 5_000;

export function checkJti(jti: unknown, expiresAt: unknown): void {
  if (typeof jti !== 'string' || jti === '') throw new TypeError('revoke(jti, expiresAt) needs the token jti.');
  if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) {
    throw new TypeError('revoke(jti, expiresAt) needs the token exp (Unix seconds).');
  }
}

/** `[jti, exp]` entries, each checked, those expired before `after` dropped, as flat `[jti, exp, …]` lists of at most BATCH entries. */
export function jtiBatches(input: Iterable<readonly [jti: string, expiresAt: number]>, after: number): Array<Array<string | number>> {
  const batches: Array<Array<string | number>> = [];
  let batch: Array<string | number> = [];
  for (const [jti, expiresAt] of input) {
    checkJti(jti, expiresAt);
    if (!(expiresAt > after)) continue;
    batch.push(jti, expiresAt);
    if (batch.length === 2 * BATCH) {
      batches.push(batch);
      batch = [];
    }
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/** What the probe read: Redis's clock, the list's generation, whether every marker is there. */
export interface Probe {
  redisTimeMs: number;
  /** The local clock at the middle of the round trip (ms). */
  localTimeMs: number;
  generation: string | undefined;
  whole: boolean;
}

/**
 * What the store reads from and writes to Redis: stateless commands on `client`. Every write is
 * one MULTI with the PUBLISH that tells the other instances, tagged with `origin` so that the
 * writer can skip its own message, and with the list's generation so that a message about another
 * list is ignored.
 */
export function redisCommands(client: RedisRevocationClient, keys: RedisKeys, origin: string) {
  const scriptKeys = ['4', keys.meta, keys.jtis, keys.subjects, keys.subjectExpiry];
  const command = (args: string[]): Promise<unknown> => client.sendCommand(args, PLAIN);
  const list = (reply: unknown): unknown[] => (Array.isArray(reply) ? (reply as unknown[]) : []);

  /** Removes what has expired (by Redis's clock); how many jtis and subjects went. */
  async function purge(): Promise<{ jtis: number; subjects: number }> {
    const [jtis, subjects] = list(await command(['EVAL', PURGE_EXPIRED, ...scriptKeys]));
    return { jtis: Number(jtis ?? 0), subjects: Number(subjects ?? 0) };
  }

  async function probe(): Promise<Probe> {
    const before = Date.now();
    const [seconds, micros, generation, whole] = list(await command(['EVAL', PROBE, ...scriptKeys]));
    const localTimeMs = (before + Date.now()) / 2;
    return {
      redisTimeMs: Number(seconds) * 1000 + Number(micros) / 1000,
      localTimeMs,
      generation: typeof generation === 'string' && generation !== '' ? generation : undefined,
      whole: Number(whole) === 1,
    };
  }

  /** See ENSURE in scripts.ts. */
  async function ensure(
    newGeneration: string,
    margin: number,
    lifetime: number,
    mode: 'start' | 'repair',
  ): Promise<{ status: 'created' | 'ok' | 'lost' | 'repaired'; generation: string | undefined }> {
    const [status, generation] = list(await command(['EVAL', ENSURE, ...scriptKeys, newGeneration, String(margin), String(lifetime), mode]));
    if (status !== 'created' && status !== 'ok' && status !== 'lost' && status !== 'repaired') throw new Error('unexpected reply from Redis to the revocation list check');
    return { status, generation: typeof generation === 'string' && generation !== '' ? generation : undefined };
  }

  /** Every [member, score] of a sorted set or [field, value] of a hash, by SCAN (never one huge reply); markers skipped. */
  async function scanAll(scan: 'ZSCAN' | 'HSCAN', key: string): Promise<Array<[string, number]>> {
    const entries: Array<[string, number]> = [];
    let cursor = '0';
    do {
      const reply = await command([scan, key, cursor, 'COUNT', SCAN_COUNT]);
      if (!Array.isArray(reply) || reply.length !== 2 || !Array.isArray(reply[1])) {
        throw new Error(`unexpected ${scan} reply from Redis`);
      }
      cursor = String(reply[0]);
      const flat = reply[1] as unknown[];
      for (let index = 0; index + 1 < flat.length; index += 2) {
        const member = String(flat[index]);
        const value = Number(flat[index + 1]);
        if (Number.isFinite(value) && !member.startsWith(MARKER_PREFIX)) entries.push([member, value]);
      }
    } while (cursor !== '0');
    return entries;
  }

  /** `[jti, exp, …]`: added (a later exp wins), expired entries dropped, published. */
  async function writeJtis(pairs: Array<string | number>, generation: string | undefined): Promise<void> {
    const zadd = ['ZADD', keys.jtis, 'GT'];
    for (let index = 0; index + 1 < pairs.length; index += 2) zadd.push(String(pairs[index + 1]), String(pairs[index]));
    await client
      .multi()
      .addCommand(['EVAL', PURGE_EXPIRED, ...scriptKeys])
      .addCommand(zadd)
      .addCommand(['PUBLISH', keys.channel, JSON.stringify({ o: origin, g: generation, j: pairs })])
      .exec();
  }

  /** A subject revocation, published. */
  async function writeSubject(sub: string, issuedBefore: number, generation: string | undefined): Promise<void> {
    await client
      .multi()
      .addCommand(['EVAL', REVOKE_SUBJECT, ...scriptKeys, sub, String(issuedBefore)])
      .addCommand(['PUBLISH', keys.channel, JSON.stringify({ o: origin, g: generation, s: [sub, issuedBefore] })])
      .exec();
  }

  return { keys, purge, probe, ensure, scanAll, writeJtis, writeSubject };
}

export type RedisCommands = ReturnType<typeof redisCommands>;

/** The database number the client talks to (`CLIENT INFO`, Redis ≥ 6.2). */
export async function databaseOf(client: RedisRevocationClient): Promise<number> {
  const info = await client.sendCommand(['CLIENT', 'INFO'], PLAIN);
  const match = /(?:^|\s)db=(\d+)(?:\s|$)/.exec(String(info));
  if (match?.[1] === undefined) throw new Error('redisRevocationStore: CLIENT INFO did not say the database number (Redis 6.2 or later is needed).');
  return Number(match[1]);
}

/**
 * The server's `maxmemory-policy`, or undefined when CONFIG is refused (managed Redis often is).
 * RESP2 answers [name, value]; RESP3 a map, which node-redis gives as an object or a Map.
 */
export async function evictionPolicyOf(client: RedisRevocationClient): Promise<string | undefined> {
  let reply: unknown;
  try {
    reply = await client.sendCommand(['CONFIG', 'GET', 'maxmemory-policy'], PLAIN);
  } catch {
    return undefined;
  }
  if (Array.isArray(reply)) return typeof reply[1] === 'string' ? reply[1] : undefined;
  if (reply instanceof Map) return String(reply.get('maxmemory-policy'));
  if (typeof reply === 'object' && reply !== null) {
    const value = (reply as Record<string, unknown>)['maxmemory-policy'];
    return typeof value === 'string' ? value : undefined;
  }
  return undefined;
}

/**
 * A pub/sub message: `{ o: origin, g: generation, j: [jti, exp, jti, exp, …] }` or
 * `{ o, g, s: [sub, issuedBefore, …] }`.
 */
export function parseMessage(message: string): Change & { generation: unknown } {
  const parsed: unknown = JSON.parse(message);
  if (typeof parsed === 'object' && parsed !== null) {
    const { g, j, s } = parsed as { g?: unknown; j?: unknown; s?: unknown };
    // Entries of the wrong type are skipped when applied.
    if (Array.isArray(j)) return { kind: 'jtis', pairs: j as Array<string | number>, generation: g };
    if (Array.isArray(s)) return { kind: 'subjects', pairs: s as Array<string | number>, generation: g };
  }
  throw new Error('unreadable revocation message');
}
