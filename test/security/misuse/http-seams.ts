/** Misuse rows for the HTTP seams: hooks, onError, token location, cookies, request events (rules 1, 2, 4, 11, 13, 15). */
import { expect } from 'vitest';
import { fromCookie, fromHeader, type GuardOptions, type JwtGuardError, type RejectedEvent, type VerifiedEvent } from '@jwt-guard/core';
import type { ExpressGuardOptions } from '@jwt-guard/express';
import type { KoaGuardOptions } from '@jwt-guard/koa';
import type { FastifyGuardOptions } from '@jwt-guard/fastify';
import type { MiddlewareAdapterName as AdapterName } from '../../adapters/apps.js';
import type { MisuseCase, MisuseFixtures, MisuseRequest, MisuseAnswer } from './types.js';

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

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

/** One `onError` per adapter, as an integrator would write it for that framework. */
interface OnErrors {
  express: ExpressGuardOptions['onError'];
  koa: KoaGuardOptions['onError'];
  fastify: FastifyGuardOptions['onError'];
}

/** The guard's options with this adapter's `onError` (rows hand adapter options through unchanged). */
const withOnError = (fx: MisuseFixtures, adapter: AdapterName, onErrors: OnErrors): GuardOptions =>
  ({ ...fx.issuers.RS256.verifierOptions(), onError: onErrors[adapter] }) as GuardOptions;

/** The same `onError` on every adapter (it ignores the framework's arguments). */
const everywhere = (onError: (error: JwtGuardError) => unknown): OnErrors => ({
  express: onError as OnErrors['express'],
  koa: onError as OnErrors['koa'],
  fastify: onError as OnErrors['fastify'],
});

/**
 * What every onError row sends: no token and a token without the scope, on a guarded route and a
 * route check (the route must never run), then a valid token (the handler does run).
 */
async function refusals(
  fx: MisuseFixtures,
  answers: { missing: MisuseAnswer; scope: MisuseAnswer; claim?: MisuseAnswer },
): Promise<[MisuseRequest, MisuseAnswer][]> {
  const rs = fx.issuers.RS256;
  return [
    [{ path: '/me' }, answers.missing],
    [{ path: '/orders' }, answers.missing],
    [{ path: '/orders', headers: bearer(await rs.tokenWithScopes('profile')) }, answers.scope],
    [{ path: '/reports', headers: bearer(await rs.tokenWithScopes('profile')) }, answers.scope],
    [{ path: '/admin', headers: bearer(await rs.sign({ role: 'user' })) }, answers.claim ?? answers.scope],
    [{ path: '/orders', headers: bearer(await rs.tokenWithScopes('orders:read')) }, { status: 200 }],
  ];
}

const REFUSED = {
  missing: { status: 401, code: 'token_missing' },
  scope: { status: 403, code: 'insufficient_scope' },
  claim: { status: 403, code: 'claim_mismatch' },
} as const;

/** An `after` check: the bodies of the refusals (all but the last, valid, request) have this `error`. */
const refusalBodies = (error: string) => ({ adapter, bodies }: { adapter: AdapterName; bodies: unknown[] }) => {
  expect(bodies.slice(0, -1).map((body) => (body as { error?: unknown }).error), adapter).toEqual(bodies.slice(0, -1).map(() => error));
};

export const HTTP_SEAM_CASES: MisuseCase[] = [
  // Rule 1: what hooks and onError throw or reject with never crashes the process.
  {
    rule: 1,
    name: 'async onVerified/onRejected that reject are ignored like a synchronous throw',
    options: (fx) => ({
      ...fx.issuers.RS256.verifierOptions(),
      onVerified: async () => {
        await tick();
        throw new Error('metrics down');
      },
      onRejected: () => Promise.reject(new Error('logger down')),
    }),
    exchange: async (fx) => [
      ...(await refusals(fx, REFUSED)),
      [{ path: '/me', headers: bearer(await fx.issuers.RS256.expiredToken()) }, { status: 401, code: 'token_expired' }],
    ],
  },
  {
    rule: 1,
    name: 'onError: async (e) => { throw e } hands the refusal to the error handler (Express: next)',
    options: (fx, adapter) =>
      withOnError(fx, adapter, everywhere(async (error) => {
        await tick();
        throw error;
      })),
    exchange: (fx) => refusals(fx, REFUSED),
  },
  {
    rule: 1,
    name: 'onError that throws synchronously hands the error on',
    options: (fx, adapter) =>
      withOnError(fx, adapter, everywhere(() => {
        throw new Error('error page renderer down');
      })),
    exchange: (fx) => refusals(fx, { missing: { status: 500, mustNotContain: ['renderer'] }, scope: { status: 500, mustNotContain: ['renderer'] } }),
    after: refusalBodies('server_error'),
  },
  {
    rule: 1,
    name: 'onError that rejects with nothing (Promise.reject()) hands the refusal on instead of letting the request through',
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the point of the row: a rejection without an error
    options: (fx, adapter) => withOnError(fx, adapter, everywhere(() => Promise.reject(undefined))),
    exchange: (fx) => refusals(fx, REFUSED),
  },

  // Rule 2: an onError that sends nothing cannot let the request through.
  {
    rule: 2,
    name: 'onError that only logs: the guard sends its default refusal, the route never runs',
    options: (fx, adapter) =>
      withOnError(fx, adapter, {
        express: (error, req) => void req.get('x-log-' + error.code),
        koa: (error, ctx) => void ctx.get('x-log-' + error.code),
        fastify: ((error: JwtGuardError, request: import('fastify').FastifyRequest) => {
          request.log.warn(error.code);
        }) as unknown as OnErrors['fastify'],
      }),
    exchange: (fx) => refusals(fx, REFUSED),
  },
  {
    rule: 2,
    name: 'async onError that settles without sending: the guard sends its default refusal',
    options: (fx, adapter) =>
      withOnError(fx, adapter, everywhere(async () => {
        await tick();
      })),
    exchange: (fx) => refusals(fx, REFUSED),
  },
  {
    rule: 2,
    name: 'async onError that returns the reply/response it never sent (Fastify would wait on it forever)',
    options: (fx, adapter) =>
      withOnError(fx, adapter, {
        express: async (_error, _req, res) => {
          await tick();
          return res as never;
        },
        koa: async (_error, ctx) => {
          await tick();
          return ctx as never;
        },
        fastify: async (_error, _request, reply) => {
          await tick();
          return reply;
        },
      }),
    exchange: (fx) => refusals(fx, REFUSED),
  },
  {
    rule: 2,
    name: "Express onError calling next() or next('route') hands the refusal on; the route never runs",
    options: (fx, adapter) =>
      withOnError(fx, adapter, {
        express: (error, _req, _res, next) => (error.status === 403 ? next('route') : next()),
        koa: () => undefined,
        fastify: (() => undefined) as unknown as OnErrors['fastify'],
      }),
    exchange: (fx) => refusals(fx, REFUSED),
  },
  {
    rule: 2,
    name: 'onError that answers itself (sync or after a promise) is left alone',
    options: (fx, adapter) =>
      withOnError(fx, adapter, {
        express: async (error, _req, res) => {
          await tick();
          res.status(error.status).json({ error: 'mine' });
        },
        koa: (error, ctx) => {
          ctx.status = error.status;
          ctx.body = { error: 'mine' };
        },
        fastify: (error, _request, reply) => reply.code(error.status).send({ error: 'mine' }),
      }),
    exchange: (fx) => refusals(fx, { missing: { status: 401 }, scope: { status: 403 } }),
    after: refusalBodies('mine'),
  },

  // Rule 4: a token in two places (RFC 6750 §2) is 400, whatever the getter.
  {
    rule: 4,
    name: 'fromCookie: a Bearer header (valid or garbage) or an access_token parameter beside the cookie is 400',
    options: (fx) => ({ ...fx.issuers.RS256.verifierOptions(), getToken: fromCookie('at') }),
    exchange: async (fx) => {
      const token = await fx.issuers.RS256.sign();
      const other = await fx.issuers.RS256.sign({ sub: 'someone-else' });
      const cookie = `at=${token}`;
      const twoPlaces = { status: 400, code: 'invalid_request', mustNotContain: [token] } as const;
      return [
        [{ path: '/me', headers: { cookie } }, { status: 200 }],
        [{ path: '/me', headers: { cookie, authorization: 'Bearer garbage' } }, twoPlaces],
        [{ path: '/me', headers: { cookie, ...bearer(other) } }, twoPlaces],
        [{ path: '/me', headers: { cookie, ...bearer(token) } }, twoPlaces],
        [{ path: `/me?access_token=${other}`, headers: { cookie } }, twoPlaces],
        [{ path: `/me?access%5Ftoken=${other}`, headers: { cookie } }, twoPlaces],
        [{ path: '/me', headers: { cookie: `${cookie}; at=${other}` } }, twoPlaces],
        // No cookie: the Bearer header and the query parameter are still two places.
        [{ path: `/me?access_token=${token}`, headers: bearer(token) }, twoPlaces],
        // One place, not the configured one: no token (the cookie is where this API looks).
        [{ path: '/me', headers: bearer(token) }, { status: 401, code: 'token_missing' }],
        // Basic credentials are not a bearer token.
        [{ path: '/me', headers: { cookie, authorization: 'Basic dXNlcjpwYXNz' } }, { status: 200 }],
      ];
    },
  },
  {
    rule: 4,
    name: "fromHeader('x-access-token'): a Bearer header, an access_token parameter or the header sent twice is 400",
    options: (fx) => ({ ...fx.issuers.RS256.verifierOptions(), getToken: fromHeader('x-access-token') }),
    exchange: async (fx) => {
      const token = await fx.issuers.RS256.sign();
      const twoPlaces = { status: 400, code: 'invalid_request' } as const;
      return [
        [{ path: '/me', headers: { 'x-access-token': token } }, { status: 200 }],
        [{ path: '/me', headers: { 'x-access-token': token, authorization: 'Bearer garbage' } }, twoPlaces],
        [{ path: `/me?page=2&access_token=${token}`, headers: { 'x-access-token': token } }, twoPlaces],
        [{ path: '/me', headers: { 'x-access-token': [token, token] } }, twoPlaces],
      ];
    },
  },
  {
    rule: 4,
    name: 'a custom getToken: a Bearer header beside the place it reads is 400',
    options: (fx) => ({
      ...fx.issuers.RS256.verifierOptions(),
      getToken: (request) => (typeof request.headers['x-token'] === 'string' ? request.headers['x-token'] : undefined),
    }),
    exchange: async (fx) => {
      const token = await fx.issuers.RS256.sign();
      return [
        [{ path: '/me', headers: { 'x-token': token } }, { status: 200 }],
        [{ path: '/me', headers: { 'x-token': token, authorization: 'Bearer garbage' } }, { status: 400, code: 'invalid_request' }],
      ];
    },
  },
  {
    rule: 4,
    name: 'default getter: repeated Authorization headers and ?access%5Ftoken= are seen, on the cached path too',
    options: (fx) => fx.issuers.RS256.verifierOptions(),
    exchange: async (fx) => {
      const token = await fx.issuers.RS256.sign();
      const twoPlaces = { status: 400, code: 'invalid_request' } as const;
      return [
        // Three uses: the token is cached from its second, so the last requests take the fast path.
        [{ path: '/me', headers: bearer(token) }, { status: 200 }],
        [{ path: '/me', headers: bearer(token) }, { status: 200 }],
        [{ path: '/me', headers: bearer(token) }, { status: 200 }],
        [{ path: '/me', headers: { authorization: [`Bearer ${token}`, 'Bearer garbage'] } }, twoPlaces],
        [{ path: '/me', headers: { authorization: [`Bearer ${token}`, `Bearer ${token}`] } }, twoPlaces],
        [{ path: '/me', headers: { authorization: ['Basic dXNlcjpwYXNz', `Bearer ${token}`] } }, twoPlaces],
        [{ path: `/me?access%5Ftoken=${token}`, headers: bearer(token) }, twoPlaces],
        [{ path: `/me?q=1&%61ccess_token=x`, headers: bearer(token) }, twoPlaces],
        [{ path: `/me?access_token=${token}`, headers: bearer(token) }, twoPlaces],
        [{ path: '/me?my_access_token=1&q=%20', headers: bearer(token) }, { status: 200 }],
      ];
    },
  },

  // Rule 11: one decoding rule for cookie tokens, in core; no cookie parser needed.
  {
    rule: 11,
    name: 'cookie tokens decode alike everywhere: %2E escapes and quotes accepted, j: JSON cookies refused',
    options: (fx) => ({ ...fx.issuers.RS256.verifierOptions(), getToken: fromCookie('at'), credentialsRequired: false }),
    exchange: async (fx) => {
      const token = await fx.issuers.RS256.sign();
      const malformed = { status: 401, code: 'token_malformed' } as const;
      return [
        [{ path: '/me', headers: { cookie: `at=${token}` } }, { status: 200 }],
        [{ path: '/me', headers: { cookie: `at=${token.replaceAll('.', '%2E')}` } }, { status: 200 }],
        [{ path: '/me', headers: { cookie: `theme=dark; at="${token}"` } }, { status: 200 }],
        [{ path: '/me', headers: { cookie: `at=${encodeURIComponent(`j:${JSON.stringify(token)}`)}` } }, malformed],
        [{ path: '/me', headers: { cookie: `at=${encodeURIComponent('j:{"sub":"admin"}')}` } }, malformed],
        [{ path: '/me', headers: { cookie: 'at=j:{"sub":"admin"}' } }, malformed],
        [{ path: '/me', headers: { cookie: `at=""${token}""` } }, malformed],
        [{ path: '/me', headers: { cookie: 'theme=dark' } }, { status: 200 }],
      ];
    },
    after: ({ adapter, bodies }) => {
      const expected = { sub: 'user-1', scopes: [] };
      expect(bodies.slice(0, 3), adapter).toEqual([expected, expected, expected]);
      expect(bodies.at(-1), adapter).toEqual({ anonymous: true, reason: null });
    },
  },
  {
    rule: 11,
    name: 'fromCookie without a cookie parser works (no 500 with configuration text)',
    noCookieParser: true,
    options: (fx) => ({ ...fx.issuers.RS256.verifierOptions(), getToken: fromCookie('at') }),
    exchange: async (fx) => {
      const token = await fx.issuers.RS256.sign();
      const quiet = ['cookie parser', 'cookie-parser', 'configuration', 'fromCookie'];
      return [
        [{ path: '/me', headers: { cookie: `at=${token}` } }, { status: 200 }],
        [{ path: '/me' }, { status: 401, code: 'token_missing', mustNotContain: quiet }],
        [{ path: '/orders', headers: { cookie: `at=${token}` } }, { status: 403, code: 'insufficient_scope', mustNotContain: quiet }],
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
