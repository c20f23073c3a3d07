import { configError } from '@jwt-guard/core';
import type { SessionFamily, SessionStore } from './store.js';

export interface MemorySessionStoreOptions {
  /** Refuse new families (logins) beyond this many live ones, rather than grow without bound. Default 100 000. */
  maxFamilies?: number;
  /** How often dead families are dropped, in ms (an unref'ed timer: it never keeps the process alive). Default 60 000. */
  sweepInterval?: number;
  /** The clock (Unix ms), for tests. */
  now?: () => number;
}

export interface MemorySessionStore extends SessionStore {
  /** Live families, after dropping the dead ones. */
  size(): number;
  /** Stops the sweep timer (tests; the timer is unref'ed anyway). */
  close(): void;
}

/** A login the store has no room for; nothing was stored. */
export class SessionCapacityError extends Error {
  readonly code = 'capacity_exceeded';
  constructor(readonly maxFamilies: number) {
    super(`the session store holds maxFamilies (${maxFamilies}) live families; refusing to grow further`);
    this.name = 'SessionCapacityError';
  }
}

/**
 * An in-process session store: for one instance (families are lost on restart; users log in
 * again). Records are copied in and out, so no caller can change one without `update`.
 */
export function memorySessionStore(options: MemorySessionStoreOptions = {}): MemorySessionStore {
  const maxFamilies = options.maxFamilies ?? 100_000;
  if (!Number.isSafeInteger(maxFamilies) || maxFamilies <= 0) throw configError('maxFamilies must be a positive integer.');
  const sweepInterval = options.sweepInterval ?? 60_000;
  if (!(Number.isFinite(sweepInterval) && sweepInterval > 0)) throw configError('sweepInterval must be a positive number of milliseconds.');
  const now = options.now ?? Date.now;

  const families = new Map<string, SessionFamily>();
  const bySubject = new Map<string, Set<string>>();
  const cutoffs = new Map<string, number>();

  /** Drops families past their deadline, and cutoffs that no longer name a stored family. */
  function sweep(): void {
    const time = now();
    for (const [familyId, family] of families) {
      if (time >= family.idleExpiresAt || time >= family.expiresAt) remove(familyId);
    }
    for (const [subject, at] of cutoffs) {
      const ids = bySubject.get(subject);
      const named = ids !== undefined && [...ids].some((id) => (families.get(id)?.createdAt ?? Infinity) <= at);
      if (!named) cutoffs.delete(subject);
    }
  }

  function remove(familyId: string): void {
    const family = families.get(familyId);
    if (family === undefined) return;
    families.delete(familyId);
    const ids = bySubject.get(family.subject);
    ids?.delete(familyId);
    if (ids?.size === 0) bySubject.delete(family.subject);
  }

  const timer = setInterval(sweep, sweepInterval);
  timer.unref();

  return {
    async get(familyId) {
      const family = families.get(familyId);
      return family === undefined ? undefined : structuredClone(family);
    },
    async create(family) {
      // Never overwrite: a 128-bit id does not collide by chance, so an existing one is a bug or an attack.
      if (families.has(family.familyId)) throw new Error('memorySessionStore: a family with this id exists already.');
      if (families.size >= maxFamilies) sweep();
      if (families.size >= maxFamilies) throw new SessionCapacityError(maxFamilies);
      families.set(family.familyId, structuredClone(family));
      const ids = bySubject.get(family.subject) ?? new Set<string>();
      ids.add(family.familyId);
      bySubject.set(family.subject, ids);
    },
    async update(familyId, expectedVersion, family) {
      const stored = families.get(familyId);
      if (stored === undefined || stored.version !== expectedVersion) return false;
      families.set(familyId, structuredClone(family));
      return true;
    },
    async delete(familyId) {
      remove(familyId);
    },
    async revokeSubject(subject, at) {
      cutoffs.set(subject, Math.max(at, cutoffs.get(subject) ?? -Infinity));
    },
    async subjectCutoff(subject) {
      return cutoffs.get(subject);
    },
    size() {
      sweep();
      return families.size;
    },
    close() {
      clearInterval(timer);
    },
  };
}
