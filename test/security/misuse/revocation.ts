/**
 * Misuse rows for revocation: tokens that could not be revoked (rule 10), and the revocation hook
 * of rule 1. Each row has its own memory store (the Redis store is tested in test/revocation).
 */
import { expect } from 'vitest';
import { createVerifier, memoryRevocationStore, revocationAdmin, type MemoryRevocationStore, type RevocationAdmin, type RevocationStore } from '@jwt-guard/core';
import type { MisuseAnswer, MisuseCase, MisuseFixtures, MisuseRequest } from './types.js';

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
const nowSeconds = () => Math.floor(Date.now() / 1000);
const HOUR = 3600;
const DAY = 24 * HOUR;

/** A store that cannot answer (its backend down, its copy too stale): the verifier must decide alone. */
const unreachableStore = (): RevocationStore => ({
  check: () => 'unknown',
  revoke: () => Promise.reject(new Error('unreachable')),
  revokeSubject: () => Promise.reject(new Error('unreachable')),
});

interface Revoking {
  store: MemoryRevocationStore;
  admin: RevocationAdmin;
}

/**
 * A row whose app checks one memory store (default `maxTokenLifetime`, 24 h) that `exchange` fills
 * through `revocationAdmin` before the requests are sent, the same store on every adapter.
 */
function revocationRow(
  name: string,
  exchange: (fx: MisuseFixtures, revoking: Revoking) => ReturnType<NonNullable<MisuseCase['exchange']>>,
): MisuseCase {
  let revoking: Revoking | undefined;
  const setUp = (fx: MisuseFixtures): Revoking => {
    if (revoking === undefined) {
      const store = memoryRevocationStore();
      revoking = { store, admin: revocationAdmin(createVerifier({ ...fx.issuers.RS256.verifierOptions(), revocation: { store } }), store) };
    }
    return revoking;
  };
  return {
    rule: 10,
    name,
    options: (fx) => ({ ...fx.issuers.RS256.verifierOptions(), revocation: { store: setUp(fx).store } }),
    exchange: (fx) => exchange(fx, setUp(fx)),
  };
}

const revoked = { status: 401, code: 'token_revoked' } as const;
const ok = { status: 200 } as const;

export const REVOCATION_CASES: MisuseCase[] = [
  (() => {
    let calls = 0;
    return {
      rule: 1,
      name: 'revocation.onUnavailable as an async hook that rejects: ignored, the store cannot answer, so 503 (fail-closed)',
      options: (fx) => ({
        ...fx.issuers.RS256.verifierOptions(),
        revocation: {
          store: unreachableStore(),
          onUnavailable: async () => {
            calls += 1;
            await Promise.resolve();
            throw new Error('log sink down');
          },
        },
      }),
      exchange: async (fx) => {
        const token = await fx.issuers.RS256.sign();
        const refused = { status: 503, code: 'revocation_unavailable' } as const;
        return [
          [{ path: '/me', headers: bearer(token) }, refused],
          [{ path: '/orders', headers: bearer(await fx.issuers.RS256.tokenWithScopes('orders:read')) }, refused],
        ];
      },
      after: () => {
        expect(calls, 'onUnavailable calls').toBeGreaterThan(0);
        calls = 0;
      },
    } satisfies MisuseCase;
  })(),

  revocationRow('a numeric jti is revoked by revokeJti("7"): its decimal form', async (fx, { admin }) => {
    const rs = fx.issuers.RS256;
    const [seven, eight] = await Promise.all([rs.sign({ jti: 7 }), rs.sign({ jti: 8 })]);
    await admin.revokeJti('7', nowSeconds() + 300);
    return [
      [{ path: '/me', headers: bearer(seven) }, revoked],
      [{ path: '/me', headers: bearer(eight) }, ok],
    ];
  }),

  revocationRow('a numeric sub is revoked by revokeSubject("42"): "log out everywhere" reaches it', async (fx, { admin }) => {
    const rs = fx.issuers.RS256;
    const iat = nowSeconds() - 10;
    const [fortyTwo, fortyThree] = await Promise.all([rs.sign({ sub: 42, iat }), rs.sign({ sub: 43, iat })]);
    await admin.revokeSubject('42');
    return [
      [{ path: '/me', headers: bearer(fortyTwo) }, revoked],
      [{ path: '/me', headers: bearer(fortyThree) }, ok],
    ];
  }),

  revocationRow('revokeToken works on a token without jti (here with a numeric sub): it is refused from then on', async (fx, { admin }) => {
    const rs = fx.issuers.RS256;
    const now = nowSeconds();
    const leaked = await rs.sign({ sub: 42, iat: now - 10 }, { jti: null });
    const newer = await rs.sign({ sub: 42, iat: now - 5 }, { jti: null }); // issued seconds after the leaked one: not named
    expect(await admin.revokeToken(leaked)).toBe('revoked');
    return [
      [{ path: '/me', headers: bearer(leaked) }, revoked],
      [{ path: '/me', headers: bearer(newer) }, ok],
    ];
  }),

  revocationRow(
    'a subject revoked a day ago: its 10-day token, issued before, does not come back when the revocation ages out (refused: it outlives maxTokenLifetime)',
    async (fx, { admin }) => {
      const rs = fx.issuers.RS256;
      const now = nowSeconds();
      const revokedAt = now - DAY - 10; // kept for maxTokenLifetime (24 h): gone 10 s ago
      const tenDays = await rs.sign({ sub: 'alice', iat: revokedAt - HOUR, exp: revokedAt - HOUR + 10 * DAY });
      const fresh = await rs.sign({ sub: 'alice', iat: now - 60 }); // a login after the revocation, 5 minutes long
      await admin.revokeSubject('alice', revokedAt);
      return [
        [{ path: '/me', headers: bearer(tenDays) }, { status: 401, code: 'claim_invalid' }],
        [{ path: '/me', headers: bearer(fresh) }, ok],
      ];
    },
  ),

  revocationRow('a token of a subject without iat: a subject revocation could not tell when it was issued (refused)', async (fx) => {
    const rs = fx.issuers.RS256;
    return [
      [{ path: '/me', headers: bearer(await rs.sign({}, { issuedAt: null })) }, { status: 401, code: 'claim_missing' }],
      [{ path: '/me', headers: bearer(await rs.sign({ sub: undefined }, { issuedAt: null })) }, ok], // revocable by its jti until exp
    ];
  }),

  revocationRow('a token with neither jti nor sub: nothing could revoke it (refused)', async (fx) => [
    [{ path: '/me', headers: bearer(await fx.issuers.RS256.sign({ sub: undefined }, { jti: null })) }, { status: 401, code: 'claim_missing' }],
  ]),

  revocationRow('a jti or sub that no revocation could match (a fraction, a boolean, an object, an empty string): refused', async (fx) => {
    const rs = fx.issuers.RS256;
    const tokens = await Promise.all([{ jti: 4.5 }, { jti: true }, { sub: { id: 42 } }, { jti: '' }].map((claims) => rs.sign(claims)));
    return tokens.map((token): [MisuseRequest, MisuseAnswer] => [{ path: '/me', headers: bearer(token) }, { status: 401, code: 'claim_invalid' }]);
  }),

  {
    rule: 10,
    name: 'requireExp: false with revocation: a token that never expires could never be revoked for its life (start-up refuses)',
    options: (fx) => ({ ...fx.issuers.RS256.verifierOptions(), requireExp: false, revocation: { store: memoryRevocationStore() } }),
    startup: /requireExp: false cannot be combined with revocation.*Keep requireExp at true/,
  },
];
