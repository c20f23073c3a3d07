import { generateKeyPairSync, KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeProtectedHeader } from 'jose';
import { createVerifier } from '@jwt-guard/core';
import { createSessions, type SessionsOptions } from '@jwt-guard/session';
import { configMessage, outcomeCode, SECRET, sessionsOnClock, START } from './support.js';

const base = { issuer: 'https://app.example.com/', audience: 'app-api' };

describe('login', () => {
  it('issues an access token the guard verifies with guardOptions() alone (HS256): claims, typ, cookie, scopes', async () => {
    const { sessions, authenticate } = sessionsOnClock();
    const issued = await sessions.login({ subject: 'user-1', scopes: ['orders:read', 'orders:write'], claims: { tenant: 'acme' } });
    const outcome = await authenticate(issued.setCookies);
    if (outcome.type !== 'authenticated') throw new Error(`refused: ${outcomeCode(outcome)}`);
    const { header, payload, scopes } = outcome.auth;
    expect(header).toMatchObject({ alg: 'HS256', typ: 'at+jwt' });
    expect(payload).toMatchObject({ iss: base.issuer, aud: 'app-api', sub: 'user-1', tenant: 'acme', iat: START / 1000, exp: START / 1000 + 300 });
    expect(typeof payload.jti).toBe('string');
    expect(typeof payload.sid).toBe('string');
    expect([...scopes]).toEqual(['orders:read', 'orders:write']);
    expect(issued.expiresAt).toEqual(new Date(START + 300_000));
    // The access cookie lives as long as the refresh token, not the access token: an expired token is still sent.
    expect(issued.setCookies[0]).toBe(`__Host-access_token=${issued.accessToken}; Max-Age=${7 * 86400}; Path=/; Secure; HttpOnly; SameSite=Strict`);
    expect(issued.setCookies[1]).toBe(`__Secure-refresh_token=${issued.refreshToken}; Max-Age=${7 * 86400}; Path=/auth; Secure; HttpOnly; SameSite=Strict`);
  });

  it('gives each login its own session id, not the refresh token family id', async () => {
    const { sessions, authenticate } = sessionsOnClock();
    const first = await sessions.login({ subject: 'u' });
    const second = await sessions.login({ subject: 'u' });
    const sid = async (setCookies: string[]) => {
      const outcome = await authenticate(setCookies);
      return outcome.type === 'authenticated' ? outcome.auth.payload.sid : undefined;
    };
    const [sid1, sid2] = [await sid(first.setCookies), await sid(second.setCookies)];
    expect(sid1).not.toBe(sid2);
    expect(first.refreshToken.startsWith(`${String(sid1)}.`)).toBe(false);
  });

  it.each<[string, () => Pick<SessionsOptions, 'privateKey' | 'kid'>, string]>([
    ['ES256 (PEM)', () => ({ privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }) }), 'ES256'],
    ['EdDSA (JWK with kid)', () => ({ privateKey: { ...generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }), kid: 'k1' } }), 'EdDSA'],
    ['ES384 (KeyObject, kid option)', () => ({ privateKey: generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey, kid: 'k2' }), 'ES384'],
  ])('signs with a private key, %s, and the guard verifies with its public half', async (_label, key, alg) => {
    const options = key();
    const { sessions, guard, authenticate } = sessionsOnClock({ secret: undefined, ...options });
    const issued = await sessions.login({ subject: 'user-1' });
    const outcome = await authenticate(issued.setCookies);
    expect(outcomeCode(outcome)).toBe('authenticated');
    const header = decodeProtectedHeader(issued.accessToken);
    expect(header.alg).toBe(alg);
    expect(header.kid).toBe(options.kid ?? (typeof options.privateKey === 'object' && 'kid' in options.privateKey ? options.privateKey.kid : undefined));
    expect(guard.verifier.algorithms).toEqual([alg]);
    // The guard gets the public half only.
    const { publicKey, secret } = sessions.guardOptions();
    expect(publicKey instanceof KeyObject && publicKey.type).toBe('public');
    expect(secret).toBeUndefined();
  });

  it('refuses a weak secret with the guard\'s own message', () => {
    for (const secret of ['too-short', 'x'.repeat(64)]) {
      const guardMessage = configMessage(() => createVerifier({ secret, ...base }));
      expect(configMessage(() => createSessions({ ...base, secret }))).toBe(guardMessage);
    }
  });

  it('refuses a public key, two keys or none, and an algorithm that does not fit the key', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(configMessage(() => createSessions({ ...base, privateKey: publicKey }))).toMatch(/needs the private key/);
    expect(configMessage(() => createSessions({ ...base, privateKey: publicKey.export({ format: 'pem', type: 'spki' }) }))).toMatch(/not a PEM private key/);
    expect(configMessage(() => createSessions({ ...base, privateKey, secret: SECRET }))).toMatch(/exactly one signing key/);
    expect(configMessage(() => createSessions({ ...base }))).toMatch(/exactly one signing key/);
    expect(configMessage(() => createSessions({ ...base, secret: [{ kid: 'a', secret: SECRET }] as never }))).toMatch(/must be one HMAC secret/);
    expect(configMessage(() => createSessions({ ...base, privateKey, algorithm: 'RS256' }))).toMatch(/RS256/);
  });

  it('refuses app claims that would override registered ones, each named', async () => {
    const { sessions } = sessionsOnClock();
    for (const name of ['iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'jti', 'sid', 'scope']) {
      await expect(sessions.login({ subject: 'u', claims: { [name]: 'x' } })).rejects.toThrow(new RegExp(`must not set ${name}:`));
    }
    await expect(sessions.login({ subject: '' })).rejects.toThrow(/subject/);
    await expect(sessions.login({ subject: 'u', scopes: ['a b'] })).rejects.toThrow(/scopes/);
  });

  it('refuses lifetimes that are unsafe or inconsistent, and unknown options, at creation', () => {
    const create = (extra: Partial<SessionsOptions>) => () => createSessions({ ...base, secret: SECRET, ...extra });
    expect(configMessage(create({ accessTokenLifetime: '2h' }))).toMatch(/accessTokenLifetime must be .* at most 1h/);
    expect(configMessage(create({ accessTokenLifetime: 0 }))).toMatch(/accessTokenLifetime/);
    expect(configMessage(create({ refreshReuseInterval: '5m' }))).toMatch(/refreshReuseInterval must be at most 1m/);
    expect(configMessage(create({ familyIdleTimeout: '60d' }))).toMatch(/familyIdleTimeout must be .* at most familyLifetime/);
    expect(configMessage(create({ familyLifetime: '1m' }))).toMatch(/familyLifetime must be longer than accessTokenLifetime/);
    expect(configMessage(create({ acessTokenLifetime: '5m' } as Partial<SessionsOptions>))).toMatch(/did you mean "accessTokenLifetime"/);
    expect(configMessage(create({ cookies: { refresh: { name: '__Host-refresh_token' } } }))).toMatch(/__Host- cookie needs path "\/"/);
  });
});

describe('refresh tokens', () => {
  it('are <family id>.<secret> with at least 256 random bits, different every time', async () => {
    const { sessions } = sessionsOnClock();
    const tokens = await Promise.all([1, 2, 3].map(() => sessions.login({ subject: 'u' })));
    const secrets = new Set<string>();
    for (const { refreshToken } of tokens) {
      const [familyId, secret, ...rest] = refreshToken.split('.');
      expect(rest).toEqual([]);
      expect(Buffer.from(familyId ?? '', 'base64url').length).toBe(16);
      expect(Buffer.from(secret ?? '', 'base64url').length).toBeGreaterThanOrEqual(32);
      secrets.add(secret ?? '');
    }
    expect(secrets.size).toBe(3);
  });

  it('are stored only as a hash: no record holds the token or its secret', async () => {
    const { sessions } = sessionsOnClock();
    const first = await sessions.login({ subject: 'u' });
    const second = await sessions.refresh(first.refreshToken);
    const [familyId] = first.refreshToken.split('.');
    const record = JSON.stringify(await sessions.store.get(familyId ?? ''));
    expect(record).toContain('"current"');
    for (const token of [first.refreshToken, second.refreshToken]) {
      expect(record).not.toContain(token.split('.')[1]);
    }
  });
});
