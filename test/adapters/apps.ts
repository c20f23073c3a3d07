import type { Server } from 'node:http';
import type { ServerOptions as HttpsOptions } from 'node:https';
import cookieParser from 'cookie-parser';
import express from 'express';
import Koa from 'koa';
import Router from '@koa/router';
import Fastify from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import { bodyParser } from '@koa/bodyparser';
import * as expressGuard from '@jwt-guard/express';
import * as koaGuard from '@jwt-guard/koa';
import * as fastifyGuard from '@jwt-guard/fastify';
import { errorResponse, JwtGuardError, type ErrorResponse, type GuardOptions } from '@jwt-guard/core';

export type AdapterName = 'express' | 'koa' | 'fastify' | 'nest-express' | 'nest-fastify';
export const ADAPTERS: readonly AdapterName[] = ['express', 'koa', 'fastify', 'nest-express', 'nest-fastify'];
/**
 * The three middleware adapters, for tests of what only they have (session endpoints, their
 * `onError`, `guardAllRoutes`): Nest apps take neither; their own tests are in test/nestjs.
 */
export const MIDDLEWARE_ADAPTERS = ['express', 'koa', 'fastify'] as const satisfies readonly AdapterName[];
export type MiddlewareAdapterName = (typeof MIDDLEWARE_ADAPTERS)[number];

/** A running app: the same orders API on each framework, for the shared table of cases. */
export interface TestApp {
  server: Server;
  close(): Promise<void>;
}

/**
 * The same routes on every framework:
 * - GET /public: no token needed
 * - GET /me: any valid token
 * - GET /orders: scope orders:read; POST /orders: scope orders:write
 * - GET /reports: any of reports:read, admin
 * - GET /admin: claim role = admin
 * - GET /constructor-claim: claim `constructor` must be present (a name every object inherits)
 * - GET /mfa: step-up (RFC 9470), acr phr or phrh; GET /recent-login: auth_time at most 5 min old;
 *   GET /transfer: both, acr phrh and auth_time at most 300 s old (STEP_UP below)
 * - GET /mutate: any valid token; the handler tries to grant itself `admin` (scope and role claim) on
 *   its own `auth`, as a careless handler might (and a strong, fresh `acr` / `auth_time`) — what it
 *   changes must never reach another request
 * Every handler answers `{ sub, scopes }` or `{ anonymous, reason }`, so success bodies compare too.
 * Each app has an error handler (what an `onError` hands on ends there): a `JwtGuardError` is
 * answered like the guard's own refusal, anything else with `500 {"error":"server_error"}`.
 */
/** The step-up routes' requirements, one `requireAuthLevel` argument per route, the same on every framework. */
export const STEP_UP = {
  mfa: { acr: ['phr', 'phrh'] },
  recentLogin: { maxAge: '5m' },
  transfer: { acr: 'phrh', maxAge: 300 },
} as const;

export interface AppOptions {
  /** Register the framework's cookie parser (cookie-parser, @fastify/cookie) before the guard. Default true. */
  cookieParser?: boolean;
  /**
   * Trust `X-Forwarded-For` from the loopback proxy (the tests' client): Express `trust proxy`,
   * Koa `app.proxy`, Fastify `trustProxy`, set as an app behind a reverse proxy would. Default false.
   */
  trustProxy?: boolean;
  /** Serve HTTPS with these options (certificates, `requestCert` for mutual TLS) instead of plain HTTP. */
  https?: HttpsOptions;
}

export async function startApp(adapter: AdapterName, options: GuardOptions, appOptions: AppOptions = {}): Promise<TestApp> {
  const withCookies = appOptions.cookieParser ?? true;
  const { trustProxy = false, https } = appOptions;
  switch (adapter) {
    case 'express':
      return listen(expressApp(options, withCookies, trustProxy), https);
    case 'koa':
      return listen(koaApp(options, trustProxy).callback(), https);
    case 'fastify': {
      const app = await fastifyApp(options, withCookies, trustProxy, https);
      await app.ready();
      return { server: app.server, close: () => app.close() };
    }
    case 'nest-express':
    case 'nest-fastify': {
      // Loaded on first use: test files that never start a Nest app never load Nest.
      const { startNestApp } = await import('../nestjs/app.js');
      return startNestApp(adapter === 'nest-express' ? 'express' : 'fastify', { guard: options, trustProxy, https });
    }
  }
}

/** The apps' error handler: the same answer on every framework for what reaches it. */
export function errorAnswer(error: unknown): ErrorResponse {
  if (error instanceof JwtGuardError) return errorResponse(error);
  const body = JSON.stringify({ error: 'server_error' });
  return { status: 500, headers: { 'content-type': 'application/json; charset=utf-8' }, body };
}

export function describeAuth(auth: { payload: { sub?: string | undefined }; scopes: ReadonlySet<string> } | undefined, authError: { code: string } | undefined) {
  return auth === undefined
    ? { anonymous: true, reason: authError?.code ?? null }
    : { sub: auth.payload.sub ?? null, scopes: [...auth.scopes].sort() };
}

/** What a careless handler does to its request's verified token; frozen objects throw, which is fine. */
export function tamperWith(auth: { payload: Record<string, unknown>; scopes: ReadonlySet<string> } | undefined): void {
  if (auth === undefined) return;
  try {
    (auth.scopes as Set<string>).add('admin');
  } catch {
    // frozen or read-only: the change is refused
  }
  try {
    auth.payload.role = 'admin';
  } catch {
    // frozen
  }
  // And steps itself up: a strong, fresh authentication (what requireAuthLevel reads).
  try {
    auth.payload.acr = 'phrh';
  } catch {
    // frozen
  }
  try {
    auth.payload.auth_time = Math.floor(Date.now() / 1000);
  } catch {
    // frozen
  }
}

function expressApp(options: GuardOptions, withCookies: boolean, trustProxy: boolean) {
  const { jwtGuard, requireScope, requireAnyScope, requireClaim, requireAuthLevel } = expressGuard;
  const app = express();
  if (trustProxy) app.set('trust proxy', 'loopback');
  if (withCookies) app.use(cookieParser());
  // Before the guard, so csrf.token.fieldName can read a form field.
  app.use(express.urlencoded({ extended: false }));
  app.get('/public', (_req, res) => {
    res.json({ public: true });
  });
  app.use(jwtGuard(options));
  const reply = (req: express.Request, res: express.Response) => {
    res.json(describeAuth(req.auth, req.authError));
  };
  app.get('/me', reply);
  app.get('/orders', requireScope('orders:read'), reply);
  app.post('/orders', requireScope('orders:write'), (req, res) => {
    res.status(201).json(describeAuth(req.auth, req.authError));
  });
  app.get('/reports', requireAnyScope('reports:read', 'admin'), reply);
  app.get('/admin', requireClaim('role', 'admin'), reply);
  app.get('/constructor-claim', requireClaim('constructor', (value) => value != null), reply);
  app.get('/mfa', requireAuthLevel(STEP_UP.mfa), reply);
  app.get('/recent-login', requireAuthLevel(STEP_UP.recentLogin), reply);
  app.get('/transfer', requireAuthLevel(STEP_UP.transfer), reply);
  app.get('/mutate', (req, res) => {
    tamperWith(req.auth);
    reply(req, res);
  });
  app.options('/me', (_req, res) => {
    res.status(204).end();
  });
  app.use((error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const answer = errorAnswer(error);
    res.status(answer.status).set(answer.headers).send(answer.body);
  });
  return app;
}

function koaApp(options: GuardOptions, trustProxy: boolean) {
  const { jwtGuard, requireScope, requireAnyScope, requireClaim, requireAuthLevel } = koaGuard;
  const app = new Koa({ proxy: trustProxy });
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      const answer = errorAnswer(error);
      ctx.status = answer.status;
      ctx.set(answer.headers);
      ctx.body = answer.body;
    }
  });
  const open = new Router();
  open.get('/public', (ctx) => {
    ctx.body = { public: true };
  });
  app.use(open.routes());
  app.use(bodyParser({ enableTypes: ['form'] }));
  app.use(jwtGuard(options));
  const router = new Router<koaGuard.JwtGuardState>();
  const reply = (ctx: Koa.ParameterizedContext<koaGuard.JwtGuardState>) => {
    ctx.body = describeAuth(ctx.state.auth, ctx.state.authError);
  };
  router.get('/me', reply);
  router.get('/orders', requireScope('orders:read'), reply);
  router.post('/orders', requireScope('orders:write'), (ctx) => {
    ctx.status = 201;
    ctx.body = describeAuth(ctx.state.auth, ctx.state.authError);
  });
  router.get('/reports', requireAnyScope('reports:read', 'admin'), reply);
  router.get('/admin', requireClaim('role', 'admin'), reply);
  router.get('/constructor-claim', requireClaim('constructor', (value) => value != null), reply);
  router.get('/mfa', requireAuthLevel(STEP_UP.mfa), reply);
  router.get('/recent-login', requireAuthLevel(STEP_UP.recentLogin), reply);
  router.get('/transfer', requireAuthLevel(STEP_UP.transfer), reply);
  router.get('/mutate', (ctx) => {
    tamperWith(ctx.state.auth);
    reply(ctx);
  });
  router.options('/me', (ctx) => {
    ctx.status = 204;
  });
  app.use(router.routes());
  return app;
}

async function fastifyApp(options: GuardOptions, withCookies: boolean, trustProxy: boolean, https?: HttpsOptions) {
  const { jwtGuard, requireScope, requireAnyScope, requireClaim, requireAuthLevel } = fastifyGuard;
  const app = Fastify({ ...(trustProxy ? { trustProxy: '127.0.0.1' } : {}), ...(https === undefined ? {} : { https }) });
  app.setErrorHandler((error, _request, reply) => {
    const answer = errorAnswer(error);
    return reply.code(answer.status).headers(answer.headers).send(answer.body);
  });
  if (withCookies) await app.register(fastifyCookie);
  await app.register(fastifyFormbody);
  app.get('/public', async () => ({ public: true }));
  await app.register(async (api) => {
    await api.register(jwtGuard, options);
    api.get('/me', async (request) => describeAuth(request.auth, request.authError));
    api.get('/orders', { preHandler: requireScope('orders:read') }, async (request) => describeAuth(request.auth, request.authError));
    api.post('/orders', { preHandler: requireScope('orders:write') }, async (request, reply) =>
      reply.code(201).send(describeAuth(request.auth, request.authError)),
    );
    api.get('/reports', { preHandler: requireAnyScope('reports:read', 'admin') }, async (request) =>
      describeAuth(request.auth, request.authError),
    );
    api.get('/admin', { preHandler: requireClaim('role', 'admin') }, async (request) => describeAuth(request.auth, request.authError));
    api.get('/constructor-claim', { preHandler: requireClaim('constructor', (value) => value != null) }, async (request) =>
      describeAuth(request.auth, request.authError),
    );
    for (const [path, level] of [['/mfa', STEP_UP.mfa], ['/recent-login', STEP_UP.recentLogin], ['/transfer', STEP_UP.transfer]] as const) {
      api.get(path, { preHandler: requireAuthLevel(level) }, async (request) => describeAuth(request.auth, request.authError));
    }
    api.get('/mutate', async (request) => {
      tamperWith(request.auth);
      return describeAuth(request.auth, request.authError);
    });
    api.options('/me', async (_request, reply) => reply.code(204).send());
  });
  return app;
}

async function listen(handler: Parameters<typeof import('node:http').createServer>[1], https?: HttpsOptions): Promise<TestApp> {
  const server: Server = https === undefined ? (await import('node:http')).createServer(handler) : (await import('node:https')).createServer(https, handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
