import type { JWTPayload } from 'jose';
import { describe, expect, it } from 'vitest';
import { createVerifier, type ScopeClaim } from '@jwt-guard/core';
import { CLAIM_OPTIONS, SECRET_32, sign, validClaims } from './helpers.js';

async function scopesOf(extra: JWTPayload, scopeClaim?: ScopeClaim): Promise<string[]> {
  const verifier = createVerifier({ secret: SECRET_32, ...CLAIM_OPTIONS, ...(scopeClaim === undefined ? {} : { scopeClaim }) });
  const auth = await verifier.verify(await sign(SECRET_32, 'HS256', validClaims(extra)));
  return [...auth.scopes].sort();
}

describe('default scope reading', () => {
  it('reads the space-delimited scope claim', async () => {
    expect(await scopesOf({ scope: 'read:orders write:orders' })).toEqual(['read:orders', 'write:orders']);
  });

  it('ignores repeated, leading and trailing spaces', async () => {
    expect(await scopesOf({ scope: '  a   b  a ' })).toEqual(['a', 'b']);
  });

  it('reads scp as a string or an array', async () => {
    expect(await scopesOf({ scp: 'x y' })).toEqual(['x', 'y']);
    expect(await scopesOf({ scp: ['x', 'y'] })).toEqual(['x', 'y']);
  });

  it('reads permissions as an array', async () => {
    expect(await scopesOf({ permissions: ['delete:users', 'read:users'] })).toEqual(['delete:users', 'read:users']);
  });

  it('reads scope, scp and permissions together', async () => {
    expect(await scopesOf({ scope: 'a b', scp: ['c'], permissions: ['d', 'a'] })).toEqual(['a', 'b', 'c', 'd']);
  });

  it('ignores non-string values and non-string array members', async () => {
    expect(await scopesOf({ scope: 42, scp: [1, 'ok', null, ''], permissions: { admin: true } })).toEqual(['ok']);
  });

  it('is empty without any scope claim', async () => {
    expect(await scopesOf({})).toEqual([]);
  });

  it('does not read other claims by default', async () => {
    expect(await scopesOf({ roles: ['admin'], scopes: 'a b' })).toEqual([]);
  });
});

describe('scopeClaim as a claim name', () => {
  it('reads only that claim, as a string or an array', async () => {
    expect(await scopesOf({ scope: 'ignored', roles: 'admin editor' }, 'roles')).toEqual(['admin', 'editor']);
    expect(await scopesOf({ scp: ['ignored'], roles: ['admin', 'editor'] }, 'roles')).toEqual(['admin', 'editor']);
  });

  it('is empty when the claim is absent', async () => {
    expect(await scopesOf({ scope: 'a b' }, 'roles')).toEqual([]);
  });

  it('can name a namespaced claim', async () => {
    expect(await scopesOf({ 'https://example.com/roles': ['admin'] }, 'https://example.com/roles')).toEqual(['admin']);
  });
});

describe('scopeClaim as a function', () => {
  it('receives the verified payload', async () => {
    let seen: JWTPayload | undefined;
    await scopesOf({ realm_access: { roles: ['r1'] } }, (payload) => {
      seen = payload;
      return undefined;
    });
    expect(seen).toMatchObject({ sub: 'user-1', realm_access: { roles: ['r1'] } });
  });

  it('may return an array or any iterable', async () => {
    const fromRealm: ScopeClaim = (payload) => (payload.realm_access as { roles: string[] }).roles;
    expect(await scopesOf({ realm_access: { roles: ['r1', 'r2'] } }, fromRealm)).toEqual(['r1', 'r2']);
    expect(await scopesOf({}, () => new Set(['s1', 's2']))).toEqual(['s1', 's2']);
  });

  it('may return a space-delimited string', async () => {
    expect(await scopesOf({ custom: 'p q' }, (payload) => payload.custom as string)).toEqual(['p', 'q']);
  });

  it('may return undefined for no scopes', async () => {
    expect(await scopesOf({ scope: 'a' }, () => undefined)).toEqual([]);
  });

  it('skips non-string members', async () => {
    expect(await scopesOf({}, () => ['ok', 7 as unknown as string])).toEqual(['ok']);
  });
});
