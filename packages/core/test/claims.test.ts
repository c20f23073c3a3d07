import type { JWTPayload } from 'jose';
import { describe, expect, it } from 'vitest';
import { createVerifier, type VerifierOptions } from '@jwt-guard/core';
import { AUDIENCE, ISSUER, rejection, SECRET_32, sign } from './helpers.js';

/** A fixed clock: every verifier in this file runs at T. */
const NOW = new Date('2030-01-01T00:00:00Z');
const T = NOW.getTime() / 1000;

const claims = (extra: JWTPayload = {}): JWTPayload => ({ iss: ISSUER, aud: AUDIENCE, sub: 'user-1', iat: T - 10, exp: T + 600, ...extra });
const without = (name: string, extra: JWTPayload = {}): JWTPayload => {
  const payload = claims(extra);
  delete payload[name];
  return payload;
};

const verifier = (options: Partial<VerifierOptions> = {}) =>
  createVerifier({ secret: SECRET_32, issuer: ISSUER, audience: AUDIENCE, currentDate: NOW, ...options });
const token = (payload: JWTPayload, header: Record<string, unknown> = {}) => sign(SECRET_32, 'HS256', payload, header);

describe('exp', () => {
  it('is required by default', async () => {
    const error = await rejection(verifier().verify(await token(without('exp'))), 'claim_missing', 401);
    expect(error.message).toBe('The access token has no "exp" claim.');
    expect(error.wwwAuthenticate).toBe('Bearer error="invalid_token", error_description="The access token has no exp claim."');
  });

  it('is optional with requireExp: false, but still checked when present', async () => {
    const v = verifier({ requireExp: false });
    await expect(v.verify(await token(without('exp')))).resolves.toMatchObject({ payload: { sub: 'user-1' } });
    await rejection(v.verify(await token(claims({ exp: T - 1 }))), 'token_expired');
  });

  it('refuses an expired token', async () => {
    const error = await rejection(verifier().verify(await token(claims({ exp: T - 1 }))), 'token_expired', 401);
    expect(error.message).toBe('The access token has expired.');
  });

  it('treats exp equal to now as expired', async () => {
    await rejection(verifier().verify(await token(claims({ exp: T }))), 'token_expired');
    await expect(verifier().verify(await token(claims({ exp: T + 1 })))).resolves.toBeDefined();
  });

  it('refuses an exp that is not a number', async () => {
    const error = await rejection(verifier().verify(await token(claims({ exp: String(T + 600) as unknown as number }))), 'claim_invalid');
    expect(error.message).toBe('The access token\'s "exp" claim is invalid.');
  });
});

describe('nbf', () => {
  it('refuses a token not valid yet', async () => {
    const error = await rejection(verifier().verify(await token(claims({ nbf: T + 1 }))), 'token_not_yet_valid', 401);
    expect(error.message).toBe('The access token is not valid yet.');
    await expect(verifier().verify(await token(claims({ nbf: T })))).resolves.toBeDefined();
  });
});

describe('clockTolerance', () => {
  it.each([30, '30s', '30 seconds', '0.5m'])('allows exactly %j of skew, and not a second more', async (clockTolerance) => {
    const v = verifier({ clockTolerance });
    await expect(v.verify(await token(claims({ exp: T - 29 })))).resolves.toBeDefined();
    await rejection(v.verify(await token(claims({ exp: T - 30 }))), 'token_expired');
    await expect(v.verify(await token(claims({ nbf: T + 30 })))).resolves.toBeDefined();
    await rejection(v.verify(await token(claims({ nbf: T + 31 }))), 'token_not_yet_valid');
  });

  it('defaults to zero', async () => {
    await rejection(verifier().verify(await token(claims({ nbf: T + 1 }))), 'token_not_yet_valid');
    await rejection(verifier().verify(await token(claims({ exp: T }))), 'token_expired');
  });
});

describe('maxTokenAge', () => {
  it('refuses a token issued longer ago than maxTokenAge', async () => {
    const v = verifier({ maxTokenAge: '1h' });
    await expect(v.verify(await token(claims({ iat: T - 3600 })))).resolves.toBeDefined();
    const error = await rejection(v.verify(await token(claims({ iat: T - 3601 }))), 'token_expired', 401);
    expect(error.message).toBe('The access token is too old.');
  });

  it('accepts a number of seconds and honours clockTolerance', async () => {
    const v = verifier({ maxTokenAge: 60, clockTolerance: 5 });
    await expect(v.verify(await token(claims({ iat: T - 65 })))).resolves.toBeDefined();
    await rejection(v.verify(await token(claims({ iat: T - 66 }))), 'token_expired');
  });

  it('makes iat required', async () => {
    const error = await rejection(verifier({ maxTokenAge: '1h' }).verify(await token(without('iat'))), 'claim_missing');
    expect(error.message).toBe('The access token has no "iat" claim.');
    await expect(verifier().verify(await token(without('iat')))).resolves.toBeDefined();
  });

  it('refuses an iat in the future', async () => {
    const error = await rejection(verifier({ maxTokenAge: '1h' }).verify(await token(claims({ iat: T + 60 }))), 'claim_invalid');
    expect(error.message).toBe('The access token\'s "iat" claim is invalid.');
  });
});

describe('iat', () => {
  it('refuses an iat more than clockTolerance in the future, even without maxTokenAge', async () => {
    const error = await rejection(verifier().verify(await token(claims({ iat: T + 1 }))), 'claim_invalid', 401);
    expect(error.message).toBe('The access token\'s "iat" claim is invalid.');
    await expect(verifier().verify(await token(claims({ iat: T })))).resolves.toBeDefined();
    const tolerant = verifier({ clockTolerance: '30s' });
    await expect(tolerant.verify(await token(claims({ iat: T + 30 })))).resolves.toBeDefined();
    await rejection(tolerant.verify(await token(claims({ iat: T + 31 }))), 'claim_invalid');
  });
});

describe('fractional times', () => {
  // 700 ms past T: a floored "now" (T) would still accept an exp of T + 0.5.
  const late = new Date(NOW.getTime() + 700);

  it('compares a fractional exp with the exact time', async () => {
    await rejection(verifier({ currentDate: late }).verify(await token(claims({ exp: T + 0.5 }))), 'token_expired');
    await rejection(verifier({ currentDate: late }).verify(await token(claims({ exp: T + 0.7 }))), 'token_expired');
    await expect(verifier({ currentDate: late }).verify(await token(claims({ exp: T + 0.8 })))).resolves.toBeDefined();
  });

  it('compares a fractional nbf and iat with the exact time', async () => {
    await expect(verifier({ currentDate: late }).verify(await token(claims({ nbf: T + 0.7, iat: T + 0.7 })))).resolves.toBeDefined();
    await rejection(verifier({ currentDate: late }).verify(await token(claims({ nbf: T + 0.8 }))), 'token_not_yet_valid');
    await rejection(verifier({ currentDate: late }).verify(await token(claims({ iat: T + 0.8 }))), 'claim_invalid');
  });
});

describe('a clock that cannot tell the time', () => {
  it.each([
    ['an Invalid Date', () => new Date(Number.NaN), /currentDate\(\) returned an Invalid Date at start-up/],
    ['new Date(undefined), as from an unset environment variable', () => new Date(process.env.JWT_GUARD_UNSET_VARIABLE as string), /Invalid Date/],
    ['a number', () => Date.now() as unknown as Date, /returned a number/],
    ['undefined', () => undefined as unknown as Date, /returned undefined at start-up/],
    ['an object', () => ({ getTime: () => Date.now() }) as unknown as Date, /returned an object/],
  ])('refuses at start-up a currentDate function returning %s', (_label, currentDate, message) => {
    expect(() => verifier({ currentDate })).toThrow(expect.objectContaining({ code: 'config_invalid', message: expect.stringMatching(message) }));
  });

  it('refuses at start-up a currentDate that throws, or is an Invalid Date', () => {
    expect(() =>
      verifier({
        currentDate: () => {
          throw new Error('no clock');
        },
      }),
    ).toThrow(expect.objectContaining({ code: 'config_invalid', message: expect.stringMatching(/currentDate\(\) threw at start-up \(no clock\)/) }));
    expect(() => verifier({ currentDate: new Date('not a date') })).toThrow(
      expect.objectContaining({ code: 'config_invalid', message: expect.stringMatching(/currentDate is an Invalid Date/) }),
    );
  });

  it('refuses every token (503 clock_invalid) once the clock stops telling the time: it never accepts one', async () => {
    let broken: unknown = NOW;
    const v = verifier({
      currentDate: () => {
        if (broken instanceof Error) throw broken;
        return broken as Date;
      },
    });
    const expiredLongAgo = await token(claims({ exp: 1, iat: 0 }));
    const valid = await token(claims());
    await rejection(v.verify(expiredLongAgo), 'token_expired');
    // Twice, so that it is cached: the cached verdict is re-checked against the clock too.
    await expect(v.verify(valid)).resolves.toBeDefined();
    await expect(v.verify(valid)).resolves.toBeDefined();
    for (const bad of [new Date(Number.NaN), 'tomorrow', new Error('clock gone')]) {
      broken = bad;
      const error = await rejection(v.verify(expiredLongAgo), 'clock_invalid', 503);
      expect(error.wwwAuthenticate).toBeUndefined();
      expect(error.hint).toMatch(/currentDate/);
      await rejection(v.verify(valid), 'clock_invalid', 503);
    }
    broken = NOW;
    await expect(v.verify(valid)).resolves.toBeDefined();
  });
});

describe('requiredClaims', () => {
  it('refuses a token missing a required claim, naming it', async () => {
    const v = verifier({ requiredClaims: ['sub', 'tenant'] });
    await expect(v.verify(await token(claims({ tenant: 'acme' })))).resolves.toBeDefined();
    const error = await rejection(v.verify(await token(claims())), 'claim_missing', 401);
    expect(error.message).toBe('The access token has no "tenant" claim.');
    const noSub = await rejection(v.verify(await token(without('sub', { tenant: 'acme' }))), 'claim_missing');
    expect(noSub.message).toBe('The access token has no "sub" claim.');
  });

  it('adds to exp rather than replacing it', async () => {
    await rejection(verifier({ requiredClaims: ['sub'] }).verify(await token(without('exp'))), 'claim_missing');
  });

  it('does not require exp when requireExp is false, unless listed', async () => {
    await expect(verifier({ requireExp: false, requiredClaims: ['sub'] }).verify(await token(without('exp')))).resolves.toBeDefined();
    await rejection(verifier({ requireExp: false, requiredClaims: ['exp'] }).verify(await token(without('exp'))), 'claim_missing');
  });
});

describe('issuer', () => {
  it('refuses another issuer', async () => {
    const error = await rejection(verifier().verify(await token(claims({ iss: 'https://evil.example/' }))), 'issuer_mismatch', 401);
    expect(error.message).toBe('The access token was issued by an untrusted issuer.');
  });

  it('compares exactly (a missing trailing slash is another issuer)', async () => {
    await rejection(verifier().verify(await token(claims({ iss: ISSUER.slice(0, -1) }))), 'issuer_mismatch');
  });

  it('accepts any issuer of an array, and refuses others', async () => {
    const v = verifier({ issuer: ['https://a.example/', ISSUER] });
    await expect(v.verify(await token(claims()))).resolves.toBeDefined();
    await expect(v.verify(await token(claims({ iss: 'https://a.example/' })))).resolves.toBeDefined();
    await rejection(v.verify(await token(claims({ iss: 'https://b.example/' }))), 'issuer_mismatch');
  });

  it('refuses a token without iss as claim_missing', async () => {
    const error = await rejection(verifier().verify(await token(without('iss'))), 'claim_missing');
    expect(error.message).toBe('The access token has no "iss" claim.');
  });

  it('skips the check with issuer: false', async () => {
    const v = verifier({ issuer: false });
    await expect(v.verify(await token(claims({ iss: 'https://anyone.example/' })))).resolves.toBeDefined();
    await expect(v.verify(await token(without('iss')))).resolves.toBeDefined();
  });
});

describe('audience', () => {
  it('refuses another audience', async () => {
    const error = await rejection(verifier().verify(await token(claims({ aud: 'https://other.example' }))), 'audience_mismatch', 401);
    expect(error.message).toBe('The access token is not meant for this audience.');
  });

  it('accepts a token whose aud array contains the audience', async () => {
    await expect(verifier().verify(await token(claims({ aud: ['https://other.example', AUDIENCE] })))).resolves.toBeDefined();
    await rejection(verifier().verify(await token(claims({ aud: ['https://other.example', 'https://third.example'] }))), 'audience_mismatch');
  });

  it('accepts any audience of an array option', async () => {
    const v = verifier({ audience: ['api-1', 'api-2'] });
    await expect(v.verify(await token(claims({ aud: 'api-2' })))).resolves.toBeDefined();
    await expect(v.verify(await token(claims({ aud: ['x', 'api-1'] })))).resolves.toBeDefined();
    await rejection(v.verify(await token(claims({ aud: ['x', 'y'] }))), 'audience_mismatch');
    await rejection(v.verify(await token(claims({ aud: 'api-3' }))), 'audience_mismatch');
  });

  it('refuses a token without aud as claim_missing', async () => {
    const error = await rejection(verifier().verify(await token(without('aud'))), 'claim_missing');
    expect(error.message).toBe('The access token has no "aud" claim.');
  });

  it('skips the check with audience: false', async () => {
    const v = verifier({ audience: false });
    await expect(v.verify(await token(claims({ aud: 'anything' })))).resolves.toBeDefined();
    await expect(v.verify(await token(without('aud')))).resolves.toBeDefined();
  });
});

describe('typ', () => {
  it('refuses a typ "JWT" token, or one without typ, when at+jwt is expected', async () => {
    const v = verifier({ typ: 'at+jwt' });
    const error = await rejection(v.verify(await token(claims(), { typ: 'JWT' })), 'type_mismatch', 401);
    expect(error.message).toBe('The access token has the wrong type (typ).');
    await rejection(v.verify(await token(claims())), 'type_mismatch');
  });

  it.each(['at+jwt', 'application/at+jwt', 'AT+JWT'])('accepts typ %s when at+jwt is expected', async (typ) => {
    await expect(verifier({ typ: 'at+jwt' }).verify(await token(claims(), { typ }))).resolves.toMatchObject({ header: { typ } });
  });

  it('accepts at+jwt when application/at+jwt is expected', async () => {
    await expect(verifier({ typ: 'application/at+jwt' }).verify(await token(claims(), { typ: 'at+jwt' }))).resolves.toBeDefined();
  });

  it('does not check typ by default', async () => {
    await expect(verifier().verify(await token(claims(), { typ: 'whatever' }))).resolves.toBeDefined();
  });
});

describe('currentDate', () => {
  it('as a Date: judges exp and nbf at that date', async () => {
    const payload = claims({ nbf: T - 100, exp: T + 100 });
    const tok = await token(payload);
    await expect(verifier({ currentDate: new Date((T + 99) * 1000) }).verify(tok)).resolves.toBeDefined();
    await rejection(verifier({ currentDate: new Date((T + 100) * 1000) }).verify(tok), 'token_expired');
    await rejection(verifier({ currentDate: new Date((T - 101) * 1000) }).verify(tok), 'token_not_yet_valid');
  });

  it('as a function: called once at start-up (to check it), then on every verification', async () => {
    let now = T;
    let calls = 0;
    const v = verifier({
      currentDate: () => {
        calls += 1;
        return new Date(now * 1000);
      },
    });
    const tok = await token(claims({ exp: T + 60 }));
    await expect(v.verify(tok)).resolves.toBeDefined();
    now = T + 60;
    await rejection(v.verify(tok), 'token_expired');
    expect(calls).toBe(3);
  });

  it('defaults to the real clock', async () => {
    const real = createVerifier({ secret: SECRET_32, issuer: ISSUER, audience: AUDIENCE });
    // nbf is in 2030: by the real clock the token is not valid yet.
    await rejection(real.verify(await token(claims({ nbf: T - 10 }))), 'token_not_yet_valid');
    const nowSec = Math.floor(Date.now() / 1000);
    await expect(real.verify(await token(claims({ iat: nowSec, exp: nowSec + 60 })))).resolves.toBeDefined();
  });
});
