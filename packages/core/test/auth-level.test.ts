import { describe, expect, it } from 'vitest';
import { authLevelRequirement, createGuard, defineRouteChecks, errorResponse, type AuthContext, type AuthLevel, type GuardOptions, type RouteCheckClock } from '@jwt-guard/core';
import { CLAIM_OPTIONS, configError, expectGuardError, SECRET_32, sign, validClaims } from './helpers.js';

/** A fixed "now" for the guard's clock: 2030-01-01T00:00:00Z, far from the machine's own time. */
const NOW = Date.UTC(2030, 0, 1) / 1000;

const guardAt = (seconds: number, options: Partial<GuardOptions> = {}) =>
  createGuard({ secret: SECRET_32, ...CLAIM_OPTIONS, currentDate: () => new Date(seconds * 1000), ...options });

/** A token verified by a guard whose clock says NOW, and that guard's clock. */
async function verifiedAt(claims: Record<string, unknown>, options: Partial<GuardOptions> = {}): Promise<{ auth: AuthContext; clock: RouteCheckClock }> {
  const guard = guardAt(NOW, options);
  const token = await sign(SECRET_32, 'HS256', validClaims({ iat: NOW - 10, exp: NOW + 600, ...claims }));
  const outcome = await guard.authenticate({ method: 'GET', url: '/transfer', headers: { authorization: `Bearer ${token}` } });
  if (outcome.type !== 'authenticated') throw new Error(`expected an authenticated outcome, got ${outcome.type}`);
  return { auth: outcome.auth, clock: guard.clock };
}

async function check(level: AuthLevel, claims: Record<string, unknown>, options: Partial<GuardOptions> = {}) {
  const { auth, clock } = await verifiedAt(claims, options);
  return authLevelRequirement(level)(auth, undefined, clock);
}

describe('requireAuthLevel({ acr })', () => {
  it('passes a token whose acr is one of the accepted values', async () => {
    expect(await check({ acr: 'phr' }, { acr: 'phr' })).toBeUndefined();
    expect(await check({ acr: ['phr', 'phrh'] }, { acr: 'phrh' })).toBeUndefined();
  });

  it('refuses another acr with 401 insufficient_user_authentication naming the accepted values', async () => {
    const error = expectGuardError(await check({ acr: ['phr', 'phrh'] }, { acr: 'pwd' }), 'insufficient_user_authentication', 401);
    expect(error.wwwAuthenticate).toBe(
      'Bearer error="insufficient_user_authentication", error_description="The request requires a stronger or more recent authentication of the user.", acr_values="phr phrh"',
    );
    expect(error.acrValues).toEqual(['phr', 'phrh']);
    expect(error.maxAge).toBeUndefined();
    expect(error.hint).toBe(
      'the token\'s acr is "pwd" but "phr" or "phrh" is required; the client should send the user to the authorization server again with the challenge\'s acr_values / max_age (RFC 9470).',
    );
  });

  it('never passes a token without acr, or with an acr that is not a string', async () => {
    for (const claims of [{}, { acr: ['phr'] }, { acr: null }, { acr: 1 }, { acr: 'PHR' }]) {
      const error = expectGuardError(await check({ acr: 'phr' }, claims), 'insufficient_user_authentication', 401);
      expect(error.wwwAuthenticate).toMatch(/, acr_values="phr"$/);
    }
    const missing = await check({ acr: 'phr' }, {});
    expect(missing?.hint).toMatch(/^the token's acr is absent but "phr" is required; /);
  });

  it('answers with the body and headers of every refusal, never the token', async () => {
    const { auth, clock } = await verifiedAt({ acr: 'pwd' });
    const error = authLevelRequirement({ acr: 'phr' })(auth, undefined, clock)!;
    const response = errorResponse(error.withRealm('bank'));
    expect(response.status).toBe(401);
    expect(JSON.parse(response.body)).toEqual({
      error: 'insufficient_user_authentication',
      error_description: 'The request requires a stronger or more recent authentication of the user.',
    });
    expect(response.headers['www-authenticate']).toBe(
      'Bearer realm="bank", error="insufficient_user_authentication", error_description="The request requires a stronger or more recent authentication of the user.", acr_values="phr"',
    );
    expect(response.body).not.toContain(auth.token);
    expect(error.hint).not.toContain(auth.token);
  });
});

describe('requireAuthLevel({ maxAge }), timed by the guard clock', () => {
  it('passes an authentication no older than maxAge, up to the limit itself', async () => {
    expect(await check({ maxAge: 300 }, { auth_time: NOW - 60 })).toBeUndefined();
    expect(await check({ maxAge: '5m' }, { auth_time: NOW - 300 })).toBeUndefined();
    expect(await check({ maxAge: 300 }, { auth_time: NOW })).toBeUndefined();
  });

  it('refuses an older authentication, announcing max_age in seconds', async () => {
    const error = expectGuardError(await check({ maxAge: '5m' }, { auth_time: NOW - 301 }), 'insufficient_user_authentication', 401);
    expect(error.wwwAuthenticate).toBe(
      'Bearer error="insufficient_user_authentication", error_description="The request requires a stronger or more recent authentication of the user.", max_age="300"',
    );
    expect(error.maxAge).toBe(300);
    expect(error.acrValues).toBeUndefined();
    expect(error.hint).toMatch(/^the user authenticated 5 min ago, more than maxAge \(5 min\) ago; /);
  });

  it('refuses a token without auth_time, or whose auth_time is not a number', async () => {
    for (const claims of [{}, { auth_time: String(NOW) }, { auth_time: null }, { auth_time: [NOW] }]) {
      const error = expectGuardError(await check({ maxAge: 300 }, claims), 'insufficient_user_authentication', 401);
      expect(error.hint).toMatch(/^the token's auth_time is .*, not the time the user authenticated \(maxAge needs it\); /);
    }
  });

  it('refuses an auth_time in the future beyond clockTolerance, and accepts it within', async () => {
    const error = expectGuardError(await check({ maxAge: 300 }, { auth_time: NOW + 120 }), 'insufficient_user_authentication', 401);
    expect(error.hint).toMatch(/^the token's auth_time is in 2 min \(in the future; /);
    expect(await check({ maxAge: 300 }, { auth_time: NOW + 120 }, { clockTolerance: '2m' })).toBeUndefined();
  });

  it('adds the guard clockTolerance to maxAge, as maxTokenAge does', async () => {
    expect(await check({ maxAge: 300 }, { auth_time: NOW - 330 }, { clockTolerance: 30 })).toBeUndefined();
    expectGuardError(await check({ maxAge: 300 }, { auth_time: NOW - 331 }, { clockTolerance: 30 }), 'insufficient_user_authentication', 401);
  });

  it('reads the time on each request: the same verified token goes stale as the clock moves', async () => {
    let now = NOW;
    const guard = createGuard({ secret: SECRET_32, ...CLAIM_OPTIONS, currentDate: () => new Date(now * 1000) });
    const token = await sign(SECRET_32, 'HS256', validClaims({ iat: NOW, exp: NOW + 3600, auth_time: NOW }));
    const outcome = await guard.authenticate({ method: 'GET', url: '/', headers: { authorization: `Bearer ${token}` } });
    if (outcome.type !== 'authenticated') throw new Error(outcome.type);
    const requirement = authLevelRequirement({ maxAge: 60 });
    expect(requirement(outcome.auth, undefined, guard.clock)).toBeUndefined();
    now = NOW + 61;
    expectGuardError(requirement(outcome.auth, undefined, guard.clock), 'insufficient_user_authentication', 401);
  });

  it('answers 503 clock_invalid, not a step-up, when the clock gives no valid time', async () => {
    const { auth } = await verifiedAt({ auth_time: NOW });
    const broken: RouteCheckClock = { now: () => Number.NaN, clockTolerance: 0 };
    expectGuardError(authLevelRequirement({ maxAge: 300 })(auth, undefined, broken), 'clock_invalid', 503);
  });

  it('uses the system clock when called without one (outside an adapter)', async () => {
    const { auth } = await verifiedAt({ auth_time: Math.floor(Date.now() / 1000) - 10 });
    expect(authLevelRequirement({ maxAge: 300 })(auth, undefined)).toBeUndefined();
    const { auth: stale } = await verifiedAt({ auth_time: Math.floor(Date.now() / 1000) - 400 });
    expectGuardError(authLevelRequirement({ maxAge: 300 })(stale, undefined), 'insufficient_user_authentication', 401);
  });
});

describe('requireAuthLevel({ acr, maxAge })', () => {
  const level = { acr: ['phr', 'phrh'], maxAge: 300 };

  it('passes only when both hold', async () => {
    expect(await check(level, { acr: 'phrh', auth_time: NOW - 10 })).toBeUndefined();
    for (const claims of [{ acr: 'pwd', auth_time: NOW - 10 }, { acr: 'phr', auth_time: NOW - 400 }, { acr: 'phr' }, { auth_time: NOW - 10 }]) {
      expectGuardError(await check(level, claims), 'insufficient_user_authentication', 401);
    }
  });

  it('announces both requirements, whichever failed, and names every shortfall in the hint', async () => {
    const error = (await check(level, { acr: 'pwd', auth_time: NOW - 400 }))!;
    expect(error.wwwAuthenticate).toMatch(/, acr_values="phr phrh", max_age="300"$/);
    expect(error.hint).toMatch(/^the token's acr is "pwd" but "phr" or "phrh" is required, and the user authenticated 7 min ago, more than maxAge \(5 min\) ago; /);
    const onlyOld = (await check(level, { acr: 'phr', auth_time: NOW - 400 }))!;
    expect(onlyOld.wwwAuthenticate).toMatch(/, acr_values="phr phrh", max_age="300"$/);
    expect(onlyOld.hint).toMatch(/^the user authenticated 7 min ago/);
  });

  it('keeps acr_values and max_age through withRealm and withVary', async () => {
    const error = (await check(level, { acr: 'pwd' }))!.withRealm('bank').withVary('Origin');
    expect(error.acrValues).toEqual(['phr', 'phrh']);
    expect(error.maxAge).toBe(300);
    expect(error.wwwAuthenticate).toMatch(/^Bearer realm="bank", .*, acr_values="phr phrh", max_age="300"$/);
  });

  it('answers an anonymous request as the other checks do: the authentication error, else token_missing', () => {
    const requirement = authLevelRequirement(level);
    expectGuardError(requirement(undefined, undefined), 'token_missing', 401);
  });
});

describe('requireAuthLevel misconfiguration fails when the route is defined', () => {
  const { requireAuthLevel } = defineRouteChecks((requirement) => requirement);

  it.each<[string, unknown, RegExp]>([
    ['neither acr nor maxAge', {}, /requireAuthLevel\(\) needs acr \(the acr values to accept, e.g. acr: 'phr'\), maxAge .*, or both\./],
    ['both undefined', { acr: undefined, maxAge: undefined }, /needs acr .*, or both/],
    ['no options object', undefined, /requireAuthLevel\(\) needs an options object/],
    ['an empty acr list', { acr: [] }, /acr is an empty list, so no token could pass; list the acr values to accept/],
    ['an empty acr string', { acr: '' }, /acr value "" is not a single acr value/],
    ['a space-separated acr string', { acr: 'phr phrh' }, /acr value "phr phrh" is not a single acr value; give each as its own string/],
    ['an acr that is not a string', { acr: [42] }, /acr value 42 is not a single acr value/],
    ['a negative maxAge', { maxAge: -1 }, /requireAuthLevel\(\) maxAge must be a non-negative number of seconds or a duration such as '30s'/],
    ['a NaN maxAge', { maxAge: Number.NaN }, /maxAge must be a non-negative number of seconds/],
    ['an unreadable maxAge', { maxAge: 'soon' }, /maxAge must be a non-negative number of seconds/],
    ['a fractional maxAge', { maxAge: 1.5 }, /maxAge is announced in whole seconds .*; give a whole number of seconds/],
    ['a misspelt option', { acr: 'phr', max_age: 300 }, /requireAuthLevel\(\): unknown option "max_age"; did you mean "maxAge"\?/],
  ])('%s', (_name, level, message) => {
    const error = configError(() => requireAuthLevel(level as AuthLevel));
    expect(error.message).toMatch(message);
  });

  it('accepts maxAge 0 (the user must have just authenticated, within clockTolerance)', async () => {
    expect(await check({ maxAge: 0 }, { auth_time: NOW - 5 }, { clockTolerance: 5 })).toBeUndefined();
    expectGuardError(await check({ maxAge: 0 }, { auth_time: NOW - 6 }, { clockTolerance: 5 }), 'insufficient_user_authentication', 401);
  });
});
