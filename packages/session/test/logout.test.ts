import { describe, expect, it } from 'vitest';
import { outcomeCode, sessionErrorOf, sessionsOnClock } from './support.js';

const CLEARED = [
  '__Host-access_token=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Strict',
  '__Secure-refresh_token=; Max-Age=0; Path=/auth; Secure; HttpOnly; SameSite=Strict',
];

describe('logout', () => {
  it('ends this session: its refresh tokens and live access tokens are refused, both cookies cleared; other sessions live', async () => {
    const { sessions, authenticate, advance } = sessionsOnClock();
    const login = await sessions.login({ subject: 'u' });
    const other = await sessions.login({ subject: 'u' });
    advance(60_000);
    const refreshed = await sessions.refresh(login.refreshToken);
    expect(await sessions.logout(refreshed.refreshToken)).toEqual({ setCookies: CLEARED });
    expect((await sessionErrorOf(sessions.refresh(refreshed.refreshToken))).code).toBe('session_expired');
    expect(outcomeCode(await authenticate(login.setCookies))).toBe('token_revoked');
    expect(outcomeCode(await authenticate(refreshed.setCookies))).toBe('token_revoked');
    expect(outcomeCode(await authenticate(other.setCookies))).toBe('authenticated');
    await expect(sessions.refresh(other.refreshToken)).resolves.toBeDefined();
  });

  it('never throws for a missing, malformed, unknown or already ended token, and still clears the cookies', async () => {
    const { sessions } = sessionsOnClock();
    const login = await sessions.login({ subject: 'u' });
    await sessions.logout(login.refreshToken);
    for (const token of [undefined, '', 'junk', `${'A'.repeat(22)}.${'B'.repeat(43)}`, login.refreshToken]) {
      expect(await sessions.logout(token)).toEqual({ setCookies: CLEARED });
    }
  });

  it('does not end a session for a forged secret with its family id', async () => {
    const { sessions } = sessionsOnClock();
    const login = await sessions.login({ subject: 'u' });
    await sessions.logout(`${login.refreshToken.split('.')[0] ?? ''}.${'A'.repeat(43)}`);
    await expect(sessions.refresh(login.refreshToken)).resolves.toBeDefined();
  });
});

describe('logoutEverywhere', () => {
  it('ends every session of the subject and its access tokens; other subjects and later logins are untouched', async () => {
    const { sessions, authenticate, advance } = sessionsOnClock();
    const laptop = await sessions.login({ subject: 'u' });
    const phone = await sessions.login({ subject: 'u' });
    const someoneElse = await sessions.login({ subject: 'v' });
    advance(10_000);
    expect(await sessions.logoutEverywhere('u')).toEqual({ setCookies: CLEARED });
    for (const session of [laptop, phone]) {
      expect((await sessionErrorOf(sessions.refresh(session.refreshToken))).code).toBe('session_expired');
      expect(outcomeCode(await authenticate(session.setCookies))).toBe('token_revoked');
    }
    expect(outcomeCode(await authenticate(someoneElse.setCookies))).toBe('authenticated');
    await expect(sessions.refresh(someoneElse.refreshToken)).resolves.toBeDefined();
    advance(1_000);
    const again = await sessions.login({ subject: 'u' });
    expect(outcomeCode(await authenticate(again.setCookies))).toBe('authenticated');
    await expect(sessions.refresh(again.refreshToken)).resolves.toBeDefined();
  });
});
