import { describe, expect, it } from 'vitest';
import { hashSecret } from '../src/refresh-token.js';
import type { SessionFamily, SessionStore } from '@jwt-guard/session';
import { memorySessionStore } from '@jwt-guard/session';
import { outcomeCode, sessionErrorOf, sessionsOnClock, START } from './support.js';

const familyIdOf = (refreshToken: string) => refreshToken.split('.')[0] ?? '';

describe('refresh', () => {
  it('rotates: a new refresh token and access token each time, same session id and claims', async () => {
    const { sessions, authenticate, advance } = sessionsOnClock();
    const first = await sessions.login({ subject: 'u', scopes: ['a'], claims: { tenant: 't' } });
    advance(60_000);
    const second = await sessions.refresh(first.refreshToken);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(familyIdOf(second.refreshToken)).toBe(familyIdOf(first.refreshToken));
    const [before, after] = [await authenticate(first.setCookies), await authenticate(second.setCookies)];
    if (before.type !== 'authenticated' || after.type !== 'authenticated') throw new Error('refused');
    expect(after.auth.payload).toMatchObject({ sub: 'u', tenant: 't', sid: before.auth.payload.sid, iat: START / 1000 + 60 });
    expect(after.auth.payload.jti).not.toBe(before.auth.payload.jti);
    expect([...after.auth.scopes]).toEqual(['a']);
    advance(60_000);
    await expect(sessions.refresh(second.refreshToken)).resolves.toMatchObject({ refreshToken: expect.any(String) });
  });

  it('within the reuse interval, lets a rotated token refresh again (racing tabs); both successors work', async () => {
    const { sessions, advance } = sessionsOnClock();
    const login = await sessions.login({ subject: 'u' });
    const tabA = await sessions.refresh(login.refreshToken);
    advance(1_500);
    const tabB = await sessions.refresh(login.refreshToken);
    expect(tabB.refreshToken).not.toBe(tabA.refreshToken);
    const nextB = await sessions.refresh(tabB.refreshToken);
    advance(1_000);
    // tabA's token was moved to `previous` by tabB's rotation: still within that rotation's interval.
    const nextA = await sessions.refresh(tabA.refreshToken);
    expect(nextA.refreshToken).not.toBe(nextB.refreshToken);
  });

  it('caps the successors of one rotated token at 8', async () => {
    const { sessions } = sessionsOnClock();
    const login = await sessions.login({ subject: 'u' });
    await sessions.refresh(login.refreshToken);
    for (let index = 1; index < 8; index++) await sessions.refresh(login.refreshToken);
    expect((await sessionErrorOf(sessions.refresh(login.refreshToken))).code).toBe('refresh_token_invalid');
  });

  it('after the reuse interval, a rotated token is reuse: the family dies, its access tokens are refused, other devices recover', async () => {
    const { sessions, authenticate, advance } = sessionsOnClock();
    const laptop = await sessions.login({ subject: 'u' });
    const phone = await sessions.login({ subject: 'u' });
    const stolen = laptop.refreshToken;
    const rotated = await sessions.refresh(stolen);
    advance(2_001);
    const reused = await sessionErrorOf(sessions.refresh(stolen));
    expect(reused).toMatchObject({ code: 'refresh_token_reused', status: 401 });
    expect(reused.message).not.toContain(stolen);
    // The family is dead: the legitimate successor too.
    expect((await sessionErrorOf(sessions.refresh(rotated.refreshToken))).code).toBe('session_expired');
    expect(outcomeCode(await authenticate(rotated.setCookies))).toBe('token_revoked');
    expect(outcomeCode(await authenticate(phone.setCookies))).toBe('token_revoked');
    // The phone's family lives: its next access token (a later second than the revocation) works.
    advance(1_000);
    const phoneAgain = await sessions.refresh(phone.refreshToken);
    expect(outcomeCode(await authenticate(phoneAgain.setCookies))).toBe('authenticated');
  });

  it('treats a forged secret for a known family as reuse', async () => {
    const { sessions } = sessionsOnClock();
    const login = await sessions.login({ subject: 'u' });
    const forged = `${familyIdOf(login.refreshToken)}.${'A'.repeat(43)}`;
    expect((await sessionErrorOf(sessions.refresh(forged))).code).toBe('refresh_token_reused');
    expect((await sessionErrorOf(sessions.refresh(login.refreshToken))).code).toBe('session_expired');
  });

  it('refuses a missing, malformed or unknown refresh token', async () => {
    const { sessions } = sessionsOnClock();
    expect(await sessionErrorOf(sessions.refresh(undefined))).toMatchObject({ code: 'refresh_token_missing', status: 401 });
    const invalid = await sessions.refresh('not-a-token').catch((error: unknown) => error);
    expect(JSON.parse(JSON.stringify(invalid))).toEqual({ error: 'refresh_token_invalid', error_description: 'The refresh token is not valid.' });
    expect((await sessionErrorOf(sessions.refresh(`${'A'.repeat(22)}.${'B'.repeat(43)}`))).code).toBe('refresh_token_invalid');
  });

  it('ends a family at its absolute lifetime, however often it is refreshed; no access token outlives it', async () => {
    const { sessions, advance } = sessionsOnClock({ familyLifetime: '1h', familyIdleTimeout: '30m' });
    let tokens = await sessions.login({ subject: 'u' });
    for (let minute = 20; minute <= 40; minute += 20) {
      advance(20 * 60_000);
      tokens = await sessions.refresh(tokens.refreshToken);
    }
    advance(18 * 60_000); // 58 minutes in: the access token is cut at the family's end, 2 minutes away.
    tokens = await sessions.refresh(tokens.refreshToken);
    expect(tokens.expiresAt).toEqual(new Date(START + 3_600_000));
    expect(tokens.refreshExpiresAt).toEqual(new Date(START + 3_600_000));
    expect(tokens.setCookies[0]).toContain('Max-Age=120;');
    expect(tokens.setCookies[1]).toContain('Max-Age=120;');
    advance(2 * 60_000);
    expect((await sessionErrorOf(sessions.refresh(tokens.refreshToken))).code).toBe('session_expired');
  });

  it('ends a family left idle past familyIdleTimeout; each refresh moves that deadline', async () => {
    const { sessions, advance } = sessionsOnClock({ familyIdleTimeout: '10m' });
    const login = await sessions.login({ subject: 'u' });
    advance(9 * 60_000);
    const kept = await sessions.refresh(login.refreshToken);
    expect(kept.refreshExpiresAt).toEqual(new Date(START + 19 * 60_000));
    advance(10 * 60_000);
    expect((await sessionErrorOf(sessions.refresh(kept.refreshToken))).code).toBe('session_expired');
  });
});

describe('concurrent refreshes of one token', () => {
  /** A memory store whose reads all answer before any write lands: two refreshes see the same version. */
  function racingStore() {
    const inner = memorySessionStore();
    const results: boolean[] = [];
    let gate: Promise<void> | undefined;
    const store: SessionStore = {
      ...inner,
      async get(familyId) {
        const family = await inner.get(familyId);
        gate ??= new Promise((resolve) => setTimeout(resolve, 10));
        await gate;
        return family;
      },
      async update(familyId, expectedVersion, family) {
        const ok = await inner.update(familyId, expectedVersion, family);
        results.push(ok);
        gate = undefined;
        return ok;
      },
    };
    return { store, results };
  }

  it('cannot both rotate from the same record: the loser re-reads and is a within-interval successor', async () => {
    const { store, results } = racingStore();
    const { sessions } = sessionsOnClock({ store });
    const login = await sessions.login({ subject: 'u' });
    const [one, two] = await Promise.all([sessions.refresh(login.refreshToken), sessions.refresh(login.refreshToken)]);
    expect(results).toEqual([true, false, true]);
    const family = (await store.get(familyIdOf(login.refreshToken))) as SessionFamily;
    // Either refresh may win the race (signing is asynchronous): both successors are live, in either order.
    expect([...family.current].sort()).toEqual([one, two].map(({ refreshToken }) => hashSecret(refreshToken.split('.')[1] ?? '')).sort());
    expect(family.previous?.hashes).toEqual([hashSecret(login.refreshToken.split('.')[1] ?? '')]);
  });
});
