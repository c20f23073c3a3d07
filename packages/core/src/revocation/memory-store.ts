import { durationToSeconds } from '../duration.js';
import { configError } from '../errors.js';
import type { Duration } from '../options.js';
import type { RevocationStatus, RevocationStore, RevocationSubject } from './store.js';

export interface MemoryRevocationStoreOptions {
  /**
   * The longest lifetime (`exp − iat`) of any token you accept. A subject revocation lives this
   * long past its `issuedBefore`, by which time every token it names has expired. The verifier
   * holds it to that: with this store, a token of a subject that lives longer, or has no `iat`, is
   * refused (401, with a hint to raise this). Default `'24h'`.
   */
  maxTokenLifetime?: Duration;
  /**
   * How long past a token's `exp` its entry is kept (and a subject revocation past `issuedBefore +
   * maxTokenLifetime`): a verifier accepts a token until `exp + clockTolerance`, and refuses at
   * start-up a `clockTolerance` larger than this. Default `'5m'`.
   */
  expiryMargin?: Duration;
  /** Refuse new revocations beyond this many live entries, rather than grow without bound. Default 5 million. */
  maxEntries?: number;
  /** The clock, for tests. */
  now?: () => number;
}

export interface MemoryRevocationStore extends RevocationStore {
  /** The `maxTokenLifetime` option, in seconds. */
  readonly maxTokenLifetime: number;
  /** The `expiryMargin` option, in seconds. */
  readonly expiryMargin: number;
  /** Live entries (jtis + subjects), after dropping the expired ones. */
  size(): number;
  /**
   * Adds every entry of `content` (a mirror's resync: revocations are never undone, so it is a
   * union; expired entries are skipped). All or nothing: if the union would hold more than
   * `maxEntries`, throws a {@link RevocationCapacityError} and changes nothing.
   */
  mergeAll(content: { jtis: ReadonlyArray<readonly [string, number]>; subjects: ReadonlyArray<readonly [string, number]> }): void;
  /** Every live entry: `[jti, exp]` (exp rounded up to the second) and `[sub, issuedBefore]` — what a mirror writes back. */
  entries(): { jtis: Array<[string, number]>; subjects: Array<[string, number]> };
  /** Records without asynchronous work: what a mirror applies when it hears of a revocation. */
  applyRevoke(jti: string, expiresAt: number): void;
  applyRevokeSubject(sub: string, issuedBefore: number): void;
}

/** A revocation that would take the store past `maxEntries`; nothing of it was recorded. */
export class RevocationCapacityError extends Error {
  readonly code = 'capacity_exceeded';
  constructor(
    /** Live entries the store would have held. */
    readonly entries: number,
    readonly maxEntries: number,
  ) {
    super(`the revocation store would hold ${entries} live entries, more than maxEntries (${maxEntries}); refusing to grow further`);
    this.name = 'RevocationCapacityError';
  }
}

interface Entries {
  /** key → Unix second after which the entry is dropped. */
  expiry: Map<string, number>;
  /** Unix second → keys that may expire then (a key may be listed again under a later second). */
  buckets: Map<number, string[]>;
}

/**
 * An in-process denylist. Expiry is by one-second buckets: dropping what expired costs time in
 * proportion to what expired, never a scan of everything; so a million short-lived revocations
 * leave nothing behind once their tokens have expired.
 */
export function memoryRevocationStore(options: MemoryRevocationStoreOptions = {}): MemoryRevocationStore {
  const maxTokenLifetime = durationToSeconds(options.maxTokenLifetime ?? '24h', 'maxTokenLifetime');
  if (!(maxTokenLifetime > 0)) throw configError('maxTokenLifetime must be greater than zero: the longest lifetime of the tokens you accept.');
  const expiryMargin = durationToSeconds(options.expiryMargin ?? '5m', 'expiryMargin');
  if (!(expiryMargin >= 0)) throw configError('expiryMargin must be zero or more: how long past a token\'s exp its revocation is kept.');
  const maxEntries = options.maxEntries ?? 5_000_000;
  if (!Number.isSafeInteger(maxEntries) || maxEntries <= 0) throw configError('maxEntries must be a positive integer.');
  const nowSeconds = () => Math.floor((options.now ?? Date.now)() / 1000);

  const jtis: Entries = { expiry: new Map(), buckets: new Map() };
  /** sub → issuedBefore; its expiry lives in `subjectEntries`. */
  const subjects = new Map<string, number>();
  const subjectEntries: Entries = { expiry: new Map(), buckets: new Map() };
  let sweptUpTo = nowSeconds();

  function add(entries: Entries, key: string, expiresAt: number): void {
    const at = Math.ceil(expiresAt);
    const previous = entries.expiry.get(key);
    if (previous !== undefined && previous >= at) return;
    entries.expiry.set(key, at);
    const bucket = entries.buckets.get(at);
    if (bucket) bucket.push(key);
    else entries.buckets.set(at, [key]);
  }

  /** Drops what expired up to `upTo`: walking the seconds, or the buckets if there are fewer of them. */
  function sweep(entries: Entries, upTo: number, onDrop?: (key: string) => void): void {
    const seconds =
      upTo - sweptUpTo < entries.buckets.size
        ? Array.from({ length: Math.max(0, upTo - sweptUpTo + 1) }, (_, offset) => sweptUpTo + offset)
        : [...entries.buckets.keys()].filter((second) => second <= upTo);
    for (const second of seconds) {
      const bucket = entries.buckets.get(second);
      if (bucket === undefined) continue;
      entries.buckets.delete(second);
      for (const key of bucket) {
        // Only if it was not extended to a later second since.
        if (entries.expiry.get(key) === second) {
          entries.expiry.delete(key);
          onDrop?.(key);
        }
      }
    }
  }

  function expire(): number {
    const now = nowSeconds();
    if (now >= sweptUpTo) {
      sweep(jtis, now);
      sweep(subjectEntries, now, (sub) => subjects.delete(sub));
      sweptUpTo = now + 1;
    }
    return now;
  }

  function checkRoom(adding = 1): void {
    const entries = jtis.expiry.size + subjects.size + adding;
    if (entries > maxEntries) throw new RevocationCapacityError(entries, maxEntries);
  }

  // Kept expiryMargin past the token's exp: a verifier with clockTolerance still accepts it then.
  const jtiExpiry = (expiresAt: number) => expiresAt + expiryMargin;
  const subjectExpiry = (issuedBefore: number) => issuedBefore + maxTokenLifetime + expiryMargin;

  function applyRevoke(jti: string, expiresAt: number): void {
    const now = expire();
    const until = jtiExpiry(expiresAt);
    if (!(until > now)) return; // no verifier accepts the token any more: nothing to deny
    if (!jtis.expiry.has(jti)) checkRoom();
    add(jtis, jti, until);
  }

  function applyRevokeSubject(sub: string, issuedBefore: number): void {
    const now = expire();
    const expiresAt = subjectExpiry(issuedBefore);
    if (!(expiresAt > now)) return;
    const previous = subjects.get(sub);
    if (previous !== undefined && previous >= issuedBefore) return;
    if (previous === undefined) checkRoom();
    subjects.set(sub, issuedBefore);
    add(subjectEntries, sub, expiresAt);
  }

  return {
    maxTokenLifetime,
    expiryMargin,
    async revoke(jti, expiresAt) {
      if (typeof jti !== 'string' || jti === '') throw new TypeError('revoke(jti, expiresAt) needs the token jti.');
      if (!Number.isFinite(expiresAt)) throw new TypeError('revoke(jti, expiresAt) needs the token exp (Unix seconds).');
      applyRevoke(jti, expiresAt);
    },
    async revokeSubject(sub, issuedBefore) {
      if (typeof sub !== 'string' || sub === '') throw new TypeError('revokeSubject(sub, issuedBefore) needs a subject.');
      if (!Number.isFinite(issuedBefore)) throw new TypeError('revokeSubject(sub, issuedBefore) needs a time (Unix seconds).');
      applyRevokeSubject(sub, issuedBefore);
    },
    check(token: RevocationSubject): RevocationStatus {
      const now = expire();
      if (token.jti !== undefined) {
        const until = jtis.expiry.get(token.jti);
        if (until !== undefined && until > now) return 'revoked';
      }
      if (token.sub !== undefined) {
        const issuedBefore = subjects.get(token.sub);
        // A token without iat cannot show it was issued after the revocation.
        if (issuedBefore !== undefined && (typeof token.iat !== 'number' || token.iat < issuedBefore)) return 'revoked';
      }
      return 'active';
    },
    size() {
      expire();
      return jtis.expiry.size + subjects.size;
    },
    mergeAll(content) {
      const now = expire();
      // Counted first, so that a merge that does not fit changes nothing.
      let adding = 0;
      const newJtis = new Set<string>();
      for (const [jti, expiresAt] of content.jtis) {
        if (jtiExpiry(expiresAt) > now && !jtis.expiry.has(jti) && !newJtis.has(jti)) {
          newJtis.add(jti);
          adding += 1;
        }
      }
      const newSubjects = new Set<string>();
      for (const [sub, issuedBefore] of content.subjects) {
        if (subjectExpiry(issuedBefore) > now && !subjects.has(sub) && !newSubjects.has(sub)) {
          newSubjects.add(sub);
          adding += 1;
        }
      }
      if (adding > 0) checkRoom(adding);
      for (const [jti, expiresAt] of content.jtis) applyRevoke(jti, expiresAt);
      for (const [sub, issuedBefore] of content.subjects) applyRevokeSubject(sub, issuedBefore);
    },
    entries() {
      expire();
      return {
        jtis: Array.from(jtis.expiry, ([jti, until]): [string, number] => [jti, until - expiryMargin]),
        subjects: Array.from(subjects),
      };
    },
    applyRevoke,
    applyRevokeSubject,
  };
}
