import { describe, expect, it, vi } from 'vitest';
import { createVerifier, memoryRevocationStore, revocationAdmin, RevocationCapacityError, type RevocationStore } from '@jwt-guard/core';
import { SignJWT } from 'jose';

const SECRET = 'u7Hq2xV9pL4mN8rT1wZ5yB3cF6hD0sGaQeKiOjXc';
const key = new TextEncoder().encode(SECRET);
const now = () => Math.floor(Date.now() / 1000);

function token(claims: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ sub: 'user-1', jti: `jti-${Math.random()}`, ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt(typeof claims.iat === 'number' ? claims.iat : now())
    .setIssuer('i')
    .setAudience('a')
    .setExpirationTime(typeof claims.exp === 'number' ? claims.exp : now() + 300)
    .sign(key);
}

const verifierWith = (store: RevocationStore, extra: object = {}) =>
  createVerifier({ secret: SECRET, issuer: 'i', audience: 'a', revocation: { store, ...extra } });

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    return (error as { code: string }).code;
  }
}

describe('memoryRevocationStore', () => {
  it('denies a jti until its exp (with expiryMargin 0), then forgets it', async () => {
    let clock = 1_000_000_000_000;
    const store = memoryRevocationStore({ now: () => clock, expiryMargin: 0 });
    await store.revoke('a', clock / 1000 + 2);
    expect(store.check({ jti: 'a' })).toBe('revoked');
    expect(store.check({ jti: 'b' })).toBe('active');
    expect(store.size()).toBe(1);
    clock += 2000;
    expect(store.check({ jti: 'a' })).toBe('active');
    expect(store.size()).toBe(0);
  });

  it('keeps an entry expiryMargin (default 5 minutes) past exp, then forgets it', async () => {
    let clock = 1_100_000_000_000;
    const store = memoryRevocationStore({ now: () => clock });
    expect(store.expiryMargin).toBe(300);
    const exp = clock / 1000 + 2;
    await store.revoke('a', exp);
    clock += 2000 + 299_000; // exp + 299 s
    expect(store.check({ jti: 'a' })).toBe('revoked');
    clock += 1000;
    expect(store.check({ jti: 'a' })).toBe('active');
    expect(store.size()).toBe(0);
  });

  it('records a token that expired less than expiryMargin ago; ignores one that expired before', async () => {
    const store = memoryRevocationStore({ expiryMargin: '60s' });
    await store.revoke('recent', now() - 5);
    expect(store.check({ jti: 'recent' })).toBe('revoked');
    await store.revoke('old', now() - 61);
    expect(store.size()).toBe(1);
  });

  it('revokes a subject for tokens issued before the time, not after, for maxTokenLifetime', async () => {
    let clock = 2_000_000_000_000;
    const store = memoryRevocationStore({ now: () => clock, maxTokenLifetime: '1h', expiryMargin: '10s' });
    const t = clock / 1000;
    await store.revokeSubject('alice', t);
    expect(store.check({ sub: 'alice', iat: t - 1 })).toBe('revoked');
    expect(store.check({ sub: 'alice', iat: t })).toBe('active');
    expect(store.check({ sub: 'alice' })).toBe('revoked'); // no iat: cannot show it is newer
    expect(store.check({ sub: 'bob', iat: t - 1 })).toBe('active');
    clock += 3609 * 1000; // issuedBefore + maxTokenLifetime + expiryMargin - 1 s
    expect(store.check({ sub: 'alice', iat: t - 1 })).toBe('revoked');
    clock += 1000;
    expect(store.size()).toBe(0);
    expect(store.check({ sub: 'alice', iat: t - 1 })).toBe('active');
  });

  it('keeps a later expiry when a jti is revoked twice', async () => {
    let clock = 3_000_000_000_000;
    const store = memoryRevocationStore({ now: () => clock });
    await store.revoke('a', clock / 1000 + 5);
    await store.revoke('a', clock / 1000 + 1);
    clock += 2000;
    expect(store.check({ jti: 'a' })).toBe('revoked');
  });

  it('stays bounded: a million short-lived revocations leave nothing once expired', async () => {
    let clock = 4_000_000_000_000;
    const store = memoryRevocationStore({ now: () => clock, expiryMargin: 0 });
    const base = clock / 1000;
    for (let index = 0; index < 1_000_000; index += 1) store.applyRevoke(`jti-${index}`, base + 1 + (index % 3));
    expect(store.size()).toBe(1_000_000);
    clock += 4000;
    expect(store.size()).toBe(0);
  });

  it('refuses to grow past maxEntries instead of evicting revocations', async () => {
    const store = memoryRevocationStore({ maxEntries: 2 });
    await store.revoke('a', now() + 60);
    await store.revoke('b', now() + 60);
    const refusal = await store.revoke('c', now() + 60).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(RevocationCapacityError);
    expect(refusal).toMatchObject({ code: 'capacity_exceeded', entries: 3, maxEntries: 2, message: expect.stringMatching(/maxEntries/) });
    expect(store.check({ jti: 'a' })).toBe('revoked');
  });

  it('mergeAll adds to what it holds (a mirror resync: revocations are never undone)', async () => {
    const store = memoryRevocationStore();
    await store.revoke('kept', now() + 60);
    store.mergeAll({ jtis: [['x', now() + 60]], subjects: [['carol', now()]] });
    expect(store.check({ jti: 'kept' })).toBe('revoked');
    expect(store.check({ jti: 'x' })).toBe('revoked');
    expect(store.check({ sub: 'carol', iat: now() - 10 })).toBe('revoked');
    expect(store.entries()).toEqual({ jtis: [['kept', expect.any(Number)], ['x', expect.any(Number)]], subjects: [['carol', now()]] });
  });

  it('mergeAll is all or nothing: a union past maxEntries throws and changes nothing', async () => {
    const store = memoryRevocationStore({ maxEntries: 3 });
    await store.revoke('a', now() + 60);
    await store.revoke('b', now() + 60);
    const content = { jtis: [['a', now() + 60], ['c', now() + 60]] as Array<[string, number]>, subjects: [['dave', now()]] as Array<[string, number]> };
    expect(() => store.mergeAll(content)).toThrow(RevocationCapacityError);
    expect(store.size()).toBe(2);
    expect(store.check({ jti: 'c' })).toBe('active');
    expect(store.check({ sub: 'dave', iat: now() - 10 })).toBe('active');
    // What is already there, or expired, takes no room: this one fits.
    store.mergeAll({ jtis: [['a', now() + 60], ['old', now() - 400], ['c', now() + 60]], subjects: [] });
    expect(store.size()).toBe(3);
  });
});

describe('clockTolerance and the revocation store (a revocation outlives the tolerance)', () => {
  it('a token revoked 5 s after its exp, accepted under clockTolerance 60s, stays refused', async () => {
    const store = memoryRevocationStore();
    const verifier = createVerifier({ secret: SECRET, issuer: 'i', audience: 'a', clockTolerance: '60s', revocation: { store } });
    const expired = await token({ jti: 'late', iat: now() - 100, exp: now() - 5 });
    expect(await code(verifier.verify(expired))).toBe('accepted');
    expect(await revocationAdmin(verifier, store).revokeToken(expired)).toBe('revoked');
    expect(await code(verifier.verify(expired))).toBe('token_revoked');
  });

  it('keeps the entry as long as the tolerance lets the token through (fake clock)', async () => {
    let clock = 1_900_000_000_000;
    const store = memoryRevocationStore({ now: () => clock, expiryMargin: '90s' });
    const verifier = createVerifier({ secret: SECRET, issuer: 'i', audience: 'a', clockTolerance: '60s', currentDate: () => new Date(clock), revocation: { store } });
    const t = clock / 1000;
    const revoked = await token({ jti: 'j', iat: t - 10, exp: t + 10 });
    await store.revoke('j', t + 10);
    for (const offset of [0, 11, 40, 69]) {
      clock = (t + offset) * 1000;
      expect(await code(verifier.verify(revoked))).toBe('token_revoked');
    }
    clock = (t + 71) * 1000;
    expect(await code(verifier.verify(revoked))).toBe('token_expired');
  });

  it('refuses at start-up a clockTolerance longer than the store keeps entries past exp', () => {
    const store = memoryRevocationStore({ expiryMargin: '30s' });
    expect(() => createVerifier({ secret: SECRET, issuer: 'i', audience: 'a', clockTolerance: '60s', revocation: { store } })).toThrow(
      /clockTolerance \(60 s\) is longer than .*expiryMargin, 30 s.*Raise the store's expiryMargin/,
    );
    expect(() => createVerifier({ secret: SECRET, issuer: 'i', audience: 'a', clockTolerance: '30s', revocation: { store } })).not.toThrow();
    const custom: RevocationStore = { check: () => 'active', revoke: async () => undefined, revokeSubject: async () => undefined, expiryMargin: -1 };
    expect(() => createVerifier({ secret: SECRET, issuer: 'i', audience: 'a', revocation: { store: custom } })).toThrow(/expiryMargin must be a non-negative number/);
  });
});

describe('revocation in the verifier', () => {
  it('refuses a revoked jti with token_revoked (401) and accepts the others', async () => {
    const store = memoryRevocationStore();
    const verifier = verifierWith(store);
    const revoked = await token({ jti: 'leaked' });
    await store.revoke('leaked', now() + 300);
    const error = (await verifier.verify(revoked).catch((caught: unknown) => caught)) as { code: string; status: number; wwwAuthenticate: string };
    expect(error).toMatchObject({ code: 'token_revoked', status: 401 });
    expect(error.wwwAuthenticate).toBe('Bearer error="invalid_token", error_description="The access token has been revoked."');
    expect(await code(verifier.verify(await token()))).toBe('accepted');
  });

  it('never consults the store for a token that failed its own checks', async () => {
    const check = vi.fn(() => 'active' as const);
    const verifier = verifierWith({ check, revoke: async () => undefined, revokeSubject: async () => undefined });
    expect(await code(verifier.verify(await token({ exp: now() - 10 })))).toBe('token_expired');
    expect(await code(verifier.verify(`${(await token()).slice(0, -3)}abc`))).toBe('signature_invalid');
    expect(check).not.toHaveBeenCalled();
  });

  it('requireJti refuses tokens without jti', async () => {
    const verifier = verifierWith(memoryRevocationStore(), { requireJti: true });
    const noJti = await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('i').setAudience('a').setExpirationTime('5m').sign(key);
    expect(await code(verifier.verify(noJti))).toBe('claim_missing');
  });

  it('fails closed (503) when the store cannot answer, or open when configured; the decision is reported', async () => {
    const unknown: RevocationStore = { check: () => 'unknown', revoke: async () => undefined, revokeSubject: async () => undefined };
    const decisions: string[] = [];
    const closed = verifierWith(unknown, { onUnavailable: (event: { decision: string }) => decisions.push(event.decision) });
    const error = await closed.verify(await token()).catch((caught: unknown) => caught as { code: string; status: number });
    expect(error).toMatchObject({ code: 'revocation_unavailable', status: 503 });
    const open = verifierWith(unknown, { whenUnavailable: 'fail-open', onUnavailable: (event: { decision: string }) => decisions.push(event.decision) });
    expect(await code(open.verify(await token()))).toBe('accepted');
    expect(decisions).toEqual(['fail-closed', 'fail-open']);
  });

  it('ignores an onUnavailable that throws or rejects (an async hook): same decision, no unhandled rejection', async () => {
    const unknown: RevocationStore = { check: () => 'unknown', revoke: async () => undefined, revokeSubject: async () => undefined };
    const unhandled: unknown[] = [];
    const onRejection = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      const hooks = [
        () => {
          throw new Error('sync');
        },
        async () => {
          await Promise.resolve();
          throw new Error('async');
        },
        () => ({ then: () => { throw new Error('thenable'); } }),
      ];
      for (const onUnavailable of hooks) {
        expect(await code(verifierWith(unknown, { onUnavailable }).verify(await token()))).toBe('revocation_unavailable');
        expect(await code(verifierWith(unknown, { onUnavailable, whenUnavailable: 'fail-open' }).verify(await token()))).toBe('accepted');
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      process.off('unhandledRejection', onRejection);
    }
    expect(unhandled).toEqual([]);
  });

  it('treats a throwing or rejecting store as unavailable', async () => {
    const throwing = verifierWith({ check: () => { throw new Error('boom'); }, revoke: async () => undefined, revokeSubject: async () => undefined });
    expect(await code(throwing.verify(await token()))).toBe('revocation_unavailable');
    const rejecting = verifierWith({ check: () => Promise.reject(new Error('boom')), revoke: async () => undefined, revokeSubject: async () => undefined });
    expect(await code(rejecting.verify(await token()))).toBe('revocation_unavailable');
    const asyncActive = verifierWith({ check: async () => 'active' as const, revoke: async () => undefined, revokeSubject: async () => undefined });
    expect(await code(asyncActive.verify(await token()))).toBe('accepted');
  });

  it('refuses bad revocation options at start-up', () => {
    expect(() => createVerifier({ secret: SECRET, issuer: 'i', audience: 'a', revocation: {} as never })).toThrow(/revocation needs \{ store \}/);
    expect(() => verifierWith(memoryRevocationStore(), { whenUnavailable: 'maybe' })).toThrow(/fail-closed' or 'fail-open/);
    expect(() => verifierWith(memoryRevocationStore(), { onUnavailable: 'log' })).toThrow(/onUnavailable must be a function/);
  });
});

describe('revocationAdmin', () => {
  it('revokes a verified token by its jti, and a subject from now on', async () => {
    const store = memoryRevocationStore();
    // The tolerance admits the token issued "after" the revocation, whose iat is a second ahead of now.
    const verifier = createVerifier({ secret: SECRET, issuer: 'i', audience: 'a', clockTolerance: 5, revocation: { store } });
    const admin = revocationAdmin(verifier, store);
    const leaked = await token();
    expect(await admin.revokeToken(leaked)).toBe('revoked');
    expect(await code(verifier.verify(leaked))).toBe('token_revoked');
    expect(await admin.revokeToken(leaked)).toBe('already_invalid');

    const before = await token({ sub: 'dave', iat: now() - 5 });
    await admin.revokeSubject('dave');
    expect(await code(verifier.verify(before))).toBe('token_revoked');
    const after = await token({ sub: 'dave', iat: Math.ceil(Date.now() / 1000) + 1 });
    // That iat is up to 2 s ahead of this clock: within clockTolerance, or it is refused as issued in the future.
    const tolerant = createVerifier({ secret: SECRET, issuer: 'i', audience: 'a', clockTolerance: '5s', revocation: { store } });
    expect(await code(tolerant.verify(after))).toBe('accepted');
  });

  it('refuses to revoke a forged token, and explains a token without jti', async () => {
    const store = memoryRevocationStore();
    const admin = revocationAdmin(verifierWith(store), store);
    const forged = await new SignJWT({ jti: 'victim' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('i').setAudience('a').setExpirationTime('5m').sign(new TextEncoder().encode('x'.repeat(16) + 'y'.repeat(16) + 'abcdefghij'));
    await expect(admin.revokeToken(forged)).rejects.toMatchObject({ code: 'signature_invalid' });
    expect(store.size()).toBe(0);
    const noJti = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer('i').setAudience('a').setExpirationTime('5m').sign(key);
    await expect(admin.revokeToken(noJti)).rejects.toMatchObject({ code: 'claim_missing' });
  });
});

/** A token with exactly these claims besides iss and aud: nothing added (no sub, jti or iat unless given). */
const raw = (claims: Record<string, unknown>): Promise<string> =>
  new SignJWT({ iss: 'i', aud: 'a', ...claims }).setProtectedHeader({ alg: 'HS256' }).sign(key);

describe('every token the verifier accepts can be revoked until it expires', () => {
  it('matches a numeric jti or sub by its decimal form, from the admin side as a string or a number', async () => {
    const store = memoryRevocationStore();
    const verifier = verifierWith(store);
    const admin = revocationAdmin(verifier, store);
    const [seven, eight, fortyTwo, fortyTwoText, fortyThree] = await Promise.all([
      raw({ jti: 7, iat: now(), exp: now() + 300 }),
      raw({ jti: 8, iat: now(), exp: now() + 300 }),
      raw({ sub: 42, iat: now() - 5, exp: now() + 300 }),
      raw({ sub: '42', iat: now() - 5, exp: now() + 300 }),
      raw({ sub: 43, iat: now() - 5, exp: now() + 300 }),
    ]);
    for (const t of [seven, eight, fortyTwo, fortyTwoText, fortyThree]) expect(await code(verifier.verify(t))).toBe('accepted');
    await admin.revokeJti('7', now() + 300);
    await admin.revokeJti(8, now() + 300);
    await admin.revokeSubject('42');
    await admin.revokeSubject(43);
    for (const t of [seven, eight, fortyTwo, fortyTwoText, fortyThree]) expect(await code(verifier.verify(t))).toBe('token_revoked');
  });

  it('tells onUnavailable the jti and sub as revoked by: strings', async () => {
    const events: unknown[] = [];
    const unknown: RevocationStore = { check: () => 'unknown', revoke: async () => undefined, revokeSubject: async () => undefined };
    const verifier = verifierWith(unknown, { onUnavailable: (event: unknown) => void events.push(event) });
    expect(await code(verifier.verify(await raw({ jti: 7, sub: 42, iat: now(), exp: now() + 60 })))).toBe('revocation_unavailable');
    expect(events).toEqual([{ decision: 'fail-closed', jti: '7', sub: '42' }]);
  });

  it.each([
    ['a fractional jti', { jti: 4.5 }],
    ['an integer jti beyond 2^53 (already rounded by JSON.parse)', { jti: 2 ** 53 + 2 }],
    ['an empty jti', { jti: '' }],
    ['a null jti', { jti: null }],
    ['a boolean jti', { jti: true }],
    ['an object sub', { sub: { id: 1 } }],
    ['an array sub', { sub: ['a'] }],
    ['an exponent sub', { sub: 1e21 }],
    ['an empty sub', { sub: '' }],
  ])('refuses %s with claim_invalid (no revocation could ever match it); without revocation it is not our concern', async (_name, claims) => {
    const t = await raw({ sub: 'user-1', jti: 'j-1', iat: now(), exp: now() + 60, ...claims });
    const error = await verifierWith(memoryRevocationStore()).verify(t).catch((caught: unknown) => caught as { code: string; hint: string });
    expect(error).toMatchObject({ code: 'claim_invalid', hint: expect.stringMatching(/could never be matched by a revocation/) as unknown });
    expect(await code(createVerifier({ secret: SECRET, issuer: 'i', audience: 'a' }).verify(t))).toBe('accepted');
  });

  it('refuses a token with neither jti nor sub (claim_missing): nothing could revoke it', async () => {
    const t = await raw({ iat: now(), exp: now() + 60 });
    expect(await code(verifierWith(memoryRevocationStore()).verify(t))).toBe('claim_missing');
    expect(await code(createVerifier({ secret: SECRET, issuer: 'i', audience: 'a' }).verify(t))).toBe('accepted');
  });

  it("refuses a subject's token that would outlive a subject revocation (exp − iat beyond the store's maxTokenLifetime), with a hint to raise it", async () => {
    const tenDays = await raw({ sub: 'alice', jti: 'a-1', iat: now() - 60, exp: now() + 10 * 86400 });
    const error = await verifierWith(memoryRevocationStore()).verify(tenDays).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'claim_invalid', hint: expect.stringMatching(/maxTokenLifetime \(86400 s\).*raise maxTokenLifetime/) as unknown });
    // Exactly the bound is fine; a bound raised past the token's lifetime accepts it, and revokes it.
    expect(await code(verifierWith(memoryRevocationStore()).verify(await raw({ sub: 'alice', iat: now() - 60, exp: now() - 60 + 86400 })))).toBe('accepted');
    const raised = memoryRevocationStore({ maxTokenLifetime: '11d' });
    const verifier = verifierWith(raised);
    expect(await code(verifier.verify(tenDays))).toBe('accepted');
    await revocationAdmin(verifier, raised).revokeSubject('alice');
    expect(await code(verifier.verify(tenDays))).toBe('token_revoked');
  });

  it('refuses a subject’s token without iat when the store bounds subject revocations; a store that keeps them accepts it', async () => {
    const noIat = await raw({ sub: 'bob', jti: 'b-1', exp: now() + 60 });
    const error = await verifierWith(memoryRevocationStore()).verify(noIat).catch((caught: unknown) => caught as { code: string; hint: string });
    expect(error).toMatchObject({ code: 'claim_missing', hint: expect.stringMatching(/needs "iat"/) as unknown });
    const forever: RevocationStore = { check: () => 'active', revoke: async () => undefined, revokeSubject: async () => undefined };
    expect(await code(verifierWith(forever).verify(noIat))).toBe('accepted');
    // Without a sub only the jti can name it, and a jti revocation lasts until exp, whatever the lifetime.
    expect(await code(verifierWith(memoryRevocationStore()).verify(await raw({ jti: 'long', exp: now() + 30 * 86400 })))).toBe('accepted');
  });

  it('never un-revokes: a revoked subject stays refused at every second until its token expires', async () => {
    const start = 1_900_000_000;
    let clock = start;
    const store = memoryRevocationStore({ maxTokenLifetime: '1h', now: () => clock * 1000 });
    const verifier = createVerifier({ secret: SECRET, issuer: 'i', audience: 'a', currentDate: () => new Date(clock * 1000), revocation: { store }, tokenCache: false });
    const longest = await raw({ sub: 'carol', iat: start - 10, exp: start - 10 + 3600 });
    const tooLong = await raw({ sub: 'carol', iat: start - 10, exp: start + 3 * 3600 });
    expect(await code(verifier.verify(longest))).toBe('accepted');
    // Before any revocation: it could not be revoked for its whole life.
    expect(await code(verifier.verify(tooLong))).toBe('claim_invalid');
    await store.revokeSubject('carol', start);
    const verdicts = { longest: new Set<string>(), tooLong: new Set<string>() };
    for (; clock < start + 4 * 3600; clock += 7) {
      verdicts.longest.add(await code(verifier.verify(longest)));
      verdicts.tooLong.add(await code(verifier.verify(tooLong)));
    }
    expect(verdicts.longest).toEqual(new Set(['token_revoked', 'token_expired']));
    expect(verdicts.tooLong).toEqual(new Set(['claim_invalid', 'token_expired']));
  });

  it('refuses requireExp: false with revocation at start-up (a token that never expires could not be revoked for its life), and a bad store bound', () => {
    expect(() => createVerifier({ secret: SECRET, issuer: 'i', audience: 'a', requireExp: false, revocation: { store: memoryRevocationStore() } })).toThrow(/requireExp: false cannot be combined with revocation/);
    for (const maxTokenLifetime of [0, -1, Number.NaN, '1h']) {
      const store = { check: () => 'active' as const, revoke: async () => undefined, revokeSubject: async () => undefined, maxTokenLifetime } as unknown as RevocationStore;
      expect(() => verifierWith(store)).toThrow(/maxTokenLifetime must be a positive number/);
    }
    expect(() => memoryRevocationStore({ maxTokenLifetime: 0 })).toThrow(/maxTokenLifetime must be greater than zero/);
    expect(memoryRevocationStore({ maxTokenLifetime: '2h' }).maxTokenLifetime).toBe(7200);
  });

  it('revokeToken revokes every token the verifier accepts: by jti, and without one by its subject up to its iat', async () => {
    const store = memoryRevocationStore();
    const verifier = verifierWith(store);
    const admin = revocationAdmin(verifier, store);
    const t = now();
    const tokens = await Promise.all([
      raw({ jti: 7, iat: t, exp: t + 300 }),
      raw({ sub: 42, iat: t - 5, exp: t + 300 }),
      raw({ sub: 'dave', iat: t - 5, exp: t + 300 }),
      raw({ jti: 'no-sub', exp: t + 300 }),
    ]);
    const daveOlder = await raw({ sub: 'dave', iat: t - 50, exp: t + 300 });
    const daveNewer = await raw({ sub: 'dave', iat: t - 3, exp: t + 300 });
    for (const leaked of tokens) {
      expect(await code(verifier.verify(leaked))).toBe('accepted');
      expect(await admin.revokeToken(leaked)).toBe('revoked');
      expect(await code(verifier.verify(leaked))).toBe('token_revoked');
      expect(await admin.revokeToken(leaked)).toBe('already_invalid');
    }
    // By subject, the narrowest line that names the token: older tokens of dave go, newer ones stay.
    expect(await code(verifier.verify(daveOlder))).toBe('token_revoked');
    expect(await code(verifier.verify(daveNewer))).toBe('accepted');
  });

  it('revokeToken refuses, rather than writes, a subject revocation that would lapse before the token expires', async () => {
    const store = memoryRevocationStore();
    // A verifier without revocation does not hold tokens to the store's bound: the admin does.
    const admin = revocationAdmin(createVerifier({ secret: SECRET, issuer: 'i', audience: 'a' }), store);
    const tenDays = await raw({ sub: 'erin', iat: now(), exp: now() + 10 * 86400 });
    await expect(admin.revokeToken(tenDays)).rejects.toMatchObject({ code: 'claim_invalid', hint: expect.stringMatching(/raise maxTokenLifetime/) as unknown });
    expect(store.size()).toBe(0);
  });
});
