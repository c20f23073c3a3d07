import { describe, expect, it, vi } from 'vitest';
import { createVerifier, memoryRevocationStore, revocationAdmin, type RevocationStore } from '@jwt-guard/core';
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
  it('denies a jti until its exp, then forgets it', async () => {
    let clock = 1_000_000_000_000;
    const store = memoryRevocationStore({ now: () => clock });
    await store.revoke('a', clock / 1000 + 2);
    expect(store.check({ jti: 'a' })).toBe('revoked');
    expect(store.check({ jti: 'b' })).toBe('active');
    expect(store.size()).toBe(1);
    clock += 2000;
    expect(store.check({ jti: 'a' })).toBe('active');
    expect(store.size()).toBe(0);
  });

  it('ignores revocations of tokens that have already expired', async () => {
    const store = memoryRevocationStore();
    await store.revoke('old', now() - 1);
    expect(store.size()).toBe(0);
  });

  it('revokes a subject for tokens issued before the time, not after, for maxTokenLifetime', async () => {
    let clock = 2_000_000_000_000;
    const store = memoryRevocationStore({ now: () => clock, maxTokenLifetime: '1h' });
    const t = clock / 1000;
    await store.revokeSubject('alice', t);
    expect(store.check({ sub: 'alice', iat: t - 1 })).toBe('revoked');
    expect(store.check({ sub: 'alice', iat: t })).toBe('active');
    expect(store.check({ sub: 'alice' })).toBe('revoked'); // no iat: cannot show it is newer
    expect(store.check({ sub: 'bob', iat: t - 1 })).toBe('active');
    clock += 3600 * 1000;
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
    const store = memoryRevocationStore({ now: () => clock });
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
    await expect(store.revoke('c', now() + 60)).rejects.toThrow(/maxEntries/);
    expect(store.check({ jti: 'a' })).toBe('revoked');
  });

  it('replaceAll swaps the whole content (a mirror resync)', async () => {
    const store = memoryRevocationStore();
    await store.revoke('gone', now() + 60);
    store.replaceAll({ jtis: [['x', now() + 60]], subjects: [['carol', now()]] });
    expect(store.check({ jti: 'gone' })).toBe('active');
    expect(store.check({ jti: 'x' })).toBe('revoked');
    expect(store.check({ sub: 'carol', iat: now() - 10 })).toBe('revoked');
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
  });
});

describe('revocationAdmin', () => {
  it('revokes a verified token by its jti, and a subject from now on', async () => {
    const store = memoryRevocationStore();
    const verifier = verifierWith(store);
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
