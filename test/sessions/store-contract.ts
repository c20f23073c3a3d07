/**
 * What `createSessions` relies on from any SessionStore, as one table run against each store
 * (memory-store.test.ts, redis-store.test.ts). Times are around the real clock: the Redis store
 * expires keys by Redis's clock.
 */
import { describe, expect, it } from 'vitest';
import type { SessionFamily, SessionStore } from '@jwt-guard/session';

let sequence = 0;
/** A live family with a fresh id (stores may be shared between tests). */
export function familyOf(subject: string, overrides: Partial<SessionFamily> = {}): SessionFamily {
  const now = Date.now();
  sequence += 1;
  return {
    familyId: `f${sequence}-${Math.random().toString(36).slice(2)}`, sid: `s${sequence}`, subject, scopes: ['orders:read'],
    claims: { tenant: 't1' }, createdAt: now, lastUsedAt: now, expiresAt: now + 60_000, idleExpiresAt: now + 30_000,
    current: ['h1'], accessTokens: [{ jti: 'j1', exp: Math.floor(now / 1000) + 300 }], revoked: false, version: 1, ...overrides,
  };
}

export function sessionStoreContract(name: string, store: () => SessionStore): void {
  describe(`${name}: the SessionStore contract`, () => {
    it('get answers undefined for a family never stored', async () => {
      expect(await store().get('never-stored')).toBeUndefined();
    });

    it('create then get gives the family back, as a copy the caller cannot change in the store', async () => {
      const family = familyOf('alice', { previous: { hashes: ['h0'], retiresAt: Date.now() + 2_000 } });
      await store().create(family);
      const read = await store().get(family.familyId);
      expect(read).toEqual(family);
      read?.current.push('tampered');
      family.current.push('tampered too');
      expect((await store().get(family.familyId))?.current).toEqual(['h1']);
    });

    it('create never overwrites: a second family with the same id is refused and the first is kept', async () => {
      const family = familyOf('carol');
      await store().create(family);
      await expect(store().create({ ...family, subject: 'intruder' })).rejects.toThrow();
      expect((await store().get(family.familyId))?.subject).toBe('carol');
    });

    it('update writes only at the expected version (compare-and-set), and never creates a family', async () => {
      const family = familyOf('bob');
      await store().create(family);
      const next = { ...family, current: ['h2'], version: 2 };
      expect(await store().update(family.familyId, 1, next)).toBe(true);
      expect(await store().update(family.familyId, 1, { ...family, current: ['h3'], version: 2 })).toBe(false);
      expect(await store().get(family.familyId)).toEqual(next);
      const missing = familyOf('bob');
      expect(await store().update(missing.familyId, 1, missing)).toBe(false);
      expect(await store().get(missing.familyId)).toBeUndefined();
    });

    it('of many updates racing from one version, exactly one wins', async () => {
      const family = familyOf('carol');
      await store().create(family);
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, index) => store().update(family.familyId, 1, { ...family, current: [`racer-${index}`], version: 2 })),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect((await store().get(family.familyId))?.current).toEqual([`racer-${winner}`]);
    });

    it('delete removes the family (and deleting a missing one is no error)', async () => {
      const family = familyOf('dave');
      await store().create(family);
      await store().delete(family.familyId);
      expect(await store().get(family.familyId)).toBeUndefined();
      await expect(store().delete(family.familyId)).resolves.toBeUndefined();
    });

    it('revokeSubject keeps the latest cutoff of a subject, and no other subject gets one', async () => {
      const subject = `erin-${Math.random()}`;
      const family = familyOf(subject);
      await store().create(family);
      expect(await store().subjectCutoff(subject)).toBeUndefined();
      await store().revokeSubject(subject, family.createdAt + 1);
      await store().revokeSubject(subject, family.createdAt); // an older cutoff never replaces a newer one
      expect(await store().subjectCutoff(subject)).toBe(family.createdAt + 1);
      expect(await store().subjectCutoff(`${subject}-other`)).toBeUndefined();
    });
  });
}
