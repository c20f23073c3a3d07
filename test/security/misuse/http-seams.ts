/** Misuse rows for the HTTP seams: hooks, onError, token location, cookies, request events (rules 1, 2, 4, 11, 13, 15). */
import { expect } from 'vitest';
import { fromCookie, type RejectedEvent, type VerifiedEvent } from '@jwt-guard/core';
import type { AdapterName } from '../../adapters/apps.js';
import type { MisuseCase } from './types.js';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Events the hooks of one row saw, per adapter (each adapter starts its own app). */
function eventLog() {
  const seen = new Map<AdapterName, (VerifiedEvent | RejectedEvent)[]>();
  return {
    hooks(adapter: AdapterName) {
      const events: (VerifiedEvent | RejectedEvent)[] = [];
      seen.set(adapter, events);
      return { onVerified: (event: VerifiedEvent) => void events.push(event), onRejected: (event: RejectedEvent) => void events.push(event) };
    },
    of: (adapter: AdapterName) => seen.get(adapter) ?? [],
  };
}

/** An event as a log line would carry it: every field, the error's message and hint included. */
const asLogLine = (event: VerifiedEvent | RejectedEvent): string =>
  JSON.stringify({ ...event, scopes: 'scopes' in event ? [...event.scopes] : undefined, error: 'error' in event ? { ...event.error, message: event.error.message } : undefined });

const rule13 = { log: eventLog(), token: '' };

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

  // Rule 13: request events carry the path, never the query that may hold the token.
  {
    rule: 13,
    name: 'onVerified/onRejected events carry the path without the query: a token in ?access_token= never reaches the logs',
    options: (fx, adapter) => ({ ...fx.issuers.RS256.verifierOptions(), ...rule13.log.hooks(adapter) }),
    exchange: async (fx) => {
      const token = await fx.issuers.RS256.sign();
      rule13.token = token;
      const q = `access_token=${token}`;
      return [
        [{ path: `/me?${q}` }, { status: 401, code: 'token_missing', mustNotContain: [token] }],
        [{ path: `/me?page=2&${q}`, headers: bearer(token) }, { status: 400, code: 'invalid_request', mustNotContain: [token] }],
        [{ path: `/me?session=${token}`, headers: bearer(token) }, { status: 200 }],
        [{ path: `/orders?session=${token}`, headers: bearer(token) }, { status: 403, code: 'insufficient_scope', mustNotContain: [token] }],
      ];
    },
    after: ({ adapter }) => {
      const events = rule13.log.of(adapter);
      expect(events.map((event) => ('code' in event ? event.code : 'verified')), adapter).toEqual([
        'token_missing',
        'invalid_request',
        'verified',
        'verified',
        'insufficient_scope',
      ]);
      expect(events.map((event) => event.url), adapter).toEqual(['/me', '/me', '/me', '/orders', '/orders']);
      for (const event of events) expect(asLogLine(event).includes(rule13.token), `${adapter}: an event holds the token`).toBe(false);
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
