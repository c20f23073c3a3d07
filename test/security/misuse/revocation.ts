/**
 * Misuse rows for revocation: tokens that could not be revoked (rule 10), and the revocation hook
 * of rule 1. Each row has its own memory store (a Redis store is tested in test/revocation).
 */
import { expect } from 'vitest';
import type { RevocationStore } from '@jwt-guard/core';
import type { MisuseCase } from './types.js';

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

/** A store that cannot answer (its backend down, its copy too stale): the verifier must decide alone. */
const unreachableStore = (): RevocationStore => ({
  check: () => 'unknown',
  revoke: () => Promise.reject(new Error('unreachable')),
  revokeSubject: () => Promise.reject(new Error('unreachable')),
});

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
];
