import type { RedisRevocationClient } from './client.js';
import { PURGE_EXPIRED, REVOKE_SUBJECT } from './scripts.js';

/**
 * An applied change: a batch of jtis with their exp, or of subjects with their issuedBefore, as
 * one flat list `[key, time, key, time, …]` — the very list a pub/sub message carries.
 */
export type Change = { kind: 'jtis' | 'subjects'; pairs: Array<string | number> };

/** The Redis keys and the pub/sub channel of one store, from its prefix. */
export interface RedisKeys {
  jtis: string;
  subjects: string;
  subjectExpiry: string;
  channel: string;
}

export function redisKeys(prefix: string): RedisKeys {
  return { jtis: `${prefix}:jtis`, subjects: `${prefix}:subjects`, subjectExpiry: `${prefix}:subjects:expiry`, channel: `${prefix}:events` };
}

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

/** `[jti, exp]` entries, each checked, the expired dropped, as flat `[jti, exp, …]` lists of at most BATCH entries. */
export function jtiBatches(input: Iterable<readonly [jti: string, expiresAt: number]>, now: number): Array<Array<string | number>> {
  const batches: Array<Array<string | number>> = [];
  let batch: Array<string | number> = [];
  for (const [jti, expiresAt] of input) {
    checkJti(jti, expiresAt);
    if (!(expiresAt > now)) continue;
    batch.push(jti, expiresAt);
    if (batch.length === 2 * BATCH) {
      batches.push(batch);
      batch = [];
    }
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/**
 * What the store reads from and writes to Redis: stateless commands on `client`. Every write is
 * one MULTI with the PUBLISH that tells the other instances, tagged with `origin` so that the
 * writer can skip its own message.
 */
export function redisCommands(client: RedisRevocationClient, keys: RedisKeys, origin: string) {
  const scriptKeys = ['3', keys.jtis, keys.subjects, keys.subjectExpiry];
  const command = (args: string[]): Promise<unknown> => client.sendCommand(args, PLAIN);

  /** Removes what has expired; how many jtis and subjects went. */
  async function purge(): Promise<{ jtis: number; subjects: number }> {
    const reply = await command(['EVAL', PURGE_EXPIRED, ...scriptKeys, String(nowSeconds())]);
    const [jtis, subjects] = Array.isArray(reply) ? (reply as unknown[]) : [];
    return { jtis: Number(jtis ?? 0), subjects: Number(subjects ?? 0) };
  }

  /** Every [member, score] of a sorted set or [field, value] of a hash, by SCAN (never one huge reply). */
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
        const value = Number(flat[index + 1]);
        if (Number.isFinite(value)) entries.push([String(flat[index]), value]);
      }
    } while (cursor !== '0');
    return entries;
  }

  /** `[jti, exp, …]`: added (a later exp wins), expired jtis dropped, published. */
  async function writeJtis(pairs: Array<string | number>): Promise<void> {
    const zadd = ['ZADD', keys.jtis, 'GT'];
    for (let index = 0; index + 1 < pairs.length; index += 2) zadd.push(String(pairs[index + 1]), String(pairs[index]));
    await client
      .multi()
      .addCommand(['ZREMRANGEBYSCORE', keys.jtis, '-inf', String(nowSeconds())])
      .addCommand(zadd)
      .addCommand(['PUBLISH', keys.channel, JSON.stringify({ o: origin, j: pairs })])
      .exec();
  }

  /** A subject revocation, kept until `expiresAt`, published. */
  async function writeSubject(sub: string, issuedBefore: number, expiresAt: number): Promise<void> {
    await client
      .multi()
      .addCommand(['EVAL', REVOKE_SUBJECT, ...scriptKeys, String(nowSeconds()), sub, String(issuedBefore), String(expiresAt)])
      .addCommand(['PUBLISH', keys.channel, JSON.stringify({ o: origin, s: [sub, issuedBefore] })])
      .exec();
  }

  return { purge, scanAll, writeJtis, writeSubject };
}

/** A pub/sub message: `{ o: origin, j: [jti, exp, jti, exp, …] }` or `{ o: origin, s: [sub, issuedBefore, …] }`. */
export function parseMessage(message: string): Change {
  const parsed: unknown = JSON.parse(message);
  if (typeof parsed === 'object' && parsed !== null) {
    const { j, s } = parsed as { j?: unknown; s?: unknown };
    // Entries of the wrong type are skipped when applied.
    if (Array.isArray(j)) return { kind: 'jtis', pairs: j as Array<string | number> };
    if (Array.isArray(s)) return { kind: 'subjects', pairs: s as Array<string | number> };
  }
  throw new Error('unreadable revocation message');
}
