import { createGuard, isJwtGuardError, type GuardOptions, type GuardOutcome } from '@jwt-guard/core';
import { createSessions, isSessionError, type SessionsOptions } from '@jwt-guard/session';

export const SECRET = 'bq3V0oJ0m8fZ1kq0b7W3xYd9cR2tLp6sNe4uHg5aA1s'; // 43 random characters
export const START = Date.parse('2026-01-01T00:00:00Z');

/** Sessions on a clock the test moves (`advance`), with the guard that verifies what they issue. */
export function sessionsOnClock(options: Partial<SessionsOptions> = {}) {
  const clock = { time: START };
  const sessions = createSessions({
    issuer: 'https://app.example.com/',
    audience: 'app-api',
    secret: SECRET,
    now: () => clock.time,
    ...options,
  });
  const guard = createGuard(sessions.guardOptions());
  return {
    sessions,
    guard,
    advance: (ms: number) => {
      clock.time += ms;
    },
    /** What the guard says of a request carrying this access token in the session's cookie. */
    authenticate: async (setCookies: readonly string[]): Promise<GuardOutcome> =>
      guard.authenticate({ method: 'GET', url: '/api/orders', headers: { cookie: cookiePair(setCookies[0] ?? '') } }),
  };
}

/** `name=value` of a Set-Cookie header value, as a browser sends it back. */
export function cookiePair(setCookie: string): string {
  return setCookie.split(';')[0] ?? '';
}

export function outcomeCode(outcome: GuardOutcome): string {
  return outcome.type === 'rejected' ? outcome.error.code : outcome.type;
}

/** The SessionError code a promise rejects with (fails the test when it resolves or throws something else). */
export async function sessionErrorOf(promise: Promise<unknown>): Promise<{ code: string; status: number; message: string; hint: string | undefined; cause: unknown }> {
  try {
    await promise;
  } catch (error) {
    if (isSessionError(error)) return { code: error.code, status: error.status, message: error.message, hint: error.hint, cause: error.cause };
    throw error;
  }
  throw new Error('expected a SessionError');
}

/** The config_invalid message a call throws. */
export function configMessage(call: () => unknown): string {
  try {
    call();
  } catch (error) {
    if (isJwtGuardError(error) && error.code === 'config_invalid') return error.message;
    throw error;
  }
  throw new Error('expected a configuration error');
}

export type { GuardOptions };
