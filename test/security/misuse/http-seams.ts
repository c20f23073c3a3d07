/** Misuse rows for the HTTP seams: hooks, onError, token location, cookies, request events (rules 1, 2, 4, 11, 13, 15). */
import { fromCookie } from '@jwt-guard/core';
import type { MisuseCase } from './types.js';

export const HTTP_SEAM_CASES: MisuseCase[] = [
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
];
