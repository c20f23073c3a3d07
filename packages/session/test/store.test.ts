import { describe, expect, it } from 'vitest';
import { memorySessionStore, SessionCapacityError, type SessionFamily, type SessionStore } from '@jwt-guard/session';
import { sessionErrorOf, sessionsOnClock, START } from './support.js';

const failure = new Error('ECONNREFUSED 10.0.0.7:6379');

describe('a failing session store', () => {
  it.each<[keyof SessionStore, 'reject' | 'throw', 'login' | 'refresh' | 'logout' | 'logoutEverywhere']>([
    ['create', 'reject', 'login'],
    ['create', 'throw', 'login'],
    ['get', 'reject', 'refresh'],
    ['get', 'throw', 'refresh'],
    ['subjectCutoff', 'reject', 'refresh'],
    ['update', 'reject', 'refresh'],
    ['get', 'reject', 'logout'],
    ['revokeSubject', 'reject', 'logoutEverywhere'],
  ])('%s failing (%s) makes %s a 503 session_store_unavailable; the message names neither the token nor the cause', async (method, how, call) => {
    const store = memorySessionStore();
    const { refreshToken } = await sessionsOnClock({ store }).sessions.login({ subject: 'u' });
    // The same store holding the family, one method failing: a rejection, or a synchronous throw (a store not written with async).
    const fail = how === 'reject' ? () => Promise.reject(failure) : () => { throw failure; };
    const { sessions } = sessionsOnClock({ store: { ...store, [method]: fail } });
    const run = {
      login: () => sessions.login({ subject: 'u' }),
      refresh: () => sessions.refresh(refreshToken),
      logout: () => sessions.logout(refreshToken),
      logoutEverywhere: () => sessions.logoutEverywhere('u'),
    }[call];
    const error = await sessionErrorOf(run());
    expect(error).toMatchObject({ code: 'session_store_unavailable', status: 503 });
    expect(error.hint).toMatch(/^could not .* the store threw or rejected/);
    for (const secret of [refreshToken, refreshToken.split('.')[0] ?? '', refreshToken.split('.')[1] ?? '', 'ECONNREFUSED']) {
      expect(`${error.message} ${error.hint ?? ''}`).not.toContain(secret);
    }
    expect(error.cause).toBe(failure);
  });
});

describe('memorySessionStore', () => {
  const family = (familyId: string, subject: string, overrides: Partial<SessionFamily> = {}): SessionFamily => ({
    familyId, sid: 's', subject, scopes: [], claims: {}, createdAt: START, lastUsedAt: START, expiresAt: START + 60_000,
    idleExpiresAt: START + 30_000, current: ['h'], accessTokens: [], revoked: false, version: 1, ...overrides,
  });

  it('refuses logins beyond maxFamilies with a typed error (a 503 for the client), after dropping dead families', async () => {
    let time = START;
    const store = memorySessionStore({ maxFamilies: 2, now: () => time });
    await store.create(family('a', 'u'));
    await store.create(family('b', 'u'));
    await expect(store.create(family('c', 'u'))).rejects.toBeInstanceOf(SessionCapacityError);
    time += 30_000; // a and b are idle past their deadline
    await store.create(family('c', 'u', { expiresAt: START + 120_000, idleExpiresAt: START + 90_000 }));
    expect(store.size()).toBe(1);
    const { sessions } = sessionsOnClock({ store: memorySessionStore({ maxFamilies: 1, now: () => START }) });
    await sessions.login({ subject: 'u' });
    const error = await sessionErrorOf(sessions.login({ subject: 'v' }));
    expect(error.code).toBe('session_store_unavailable');
    expect(error.cause).toBeInstanceOf(SessionCapacityError);
  });

  it('writes only at the expected version (compare-and-set), and hands out copies', async () => {
    const store = memorySessionStore();
    await store.create(family('a', 'u'));
    const read = (await store.get('a')) as SessionFamily;
    read.current.push('tampered');
    expect((await store.get('a'))?.current).toEqual(['h']);
    expect(await store.update('a', 1, { ...read, version: 2 })).toBe(true);
    expect(await store.update('a', 1, { ...read, version: 2 })).toBe(false);
    expect(await store.update('missing', 1, read)).toBe(false);
  });

  it('keeps a subject cutoff while a family it names is stored, then forgets it', async () => {
    let time = START;
    const store = memorySessionStore({ now: () => time });
    await store.create(family('a', 'u'));
    await store.revokeSubject('u', START + 1);
    await store.revokeSubject('u', START); // an older cutoff never replaces a newer one
    expect(await store.subjectCutoff('u')).toBe(START + 1);
    time += 60_000;
    expect(store.size()).toBe(0);
    expect(await store.subjectCutoff('u')).toBeUndefined();
    store.close();
  });
});
