/** Misuse rows for the HTTP seams: hooks, onError, token location, cookies, request events (rules 1, 2, 4, 11, 13, 15). */
import { fromCookie } from '@jwt-guard/core';
import type { MisuseCase } from './types.js';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export const HTTP_SEAM_CASES: MisuseCase[] = [
  // Rule 4: a token in two places.
  {
    rule: 4,
    name: 'fromCookie: a Bearer header beside the cookie is a token in two places (400)',
    options: (fx) => ({ ...fx.issuers.RS256.verifierOptions(), getToken: fromCookie('at') }),
    exchange: async (fx) => {
      const token = await fx.issuers.RS256.sign();
      return [
        [{ path: '/me', headers: { cookie: `at=${token}` } }, { status: 200 }],
        [{ path: '/me', headers: { cookie: `at=${token}`, authorization: 'Bearer garbage' } }, { status: 400, code: 'invalid_request' }],
      ];
    },
  },

  // Rule 15: own claims only.
  {
    rule: 15,
    name: "requireClaim('constructor', present) does not see the inherited Object.prototype.constructor",
    options: (fx) => fx.issuers.RS256.verifierOptions(),
    exchange: async (fx) => [
      [{ path: '/constructor-claim', headers: bearer(await fx.issuers.RS256.sign()) }, { status: 403, code: 'claim_mismatch' }],
      [{ path: '/constructor-claim', headers: bearer(await fx.issuers.RS256.sign({ constructor: 'own' })) }, { status: 200 }],
    ],
  },
];
