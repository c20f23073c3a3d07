import { createServer } from 'node:http';
import express from 'express';
import Koa from 'koa';
import Router from '@koa/router';
import Fastify from 'fastify';
import fastifyFormbody from '@fastify/formbody';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as expressGuard from '@jwt-guard/express';
import * as koaGuard from '@jwt-guard/koa';
import * as fastifyGuard from '@jwt-guard/fastify';
import { createCsrfToken, fromCookie, JwtGuardError } from '@jwt-guard/core';
import { createTestIssuer, type TestIssuer } from '@jwt-guard/testing';

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer({ algorithm: 'EdDSA' });
});
afterAll(async () => {
  await issuer.close();
});

describe('express', () => {
  it('onError can hand the refusal to the app error middleware', async () => {
    const app = express();
    app.use(expressGuard.jwtGuard({ ...issuer.verifierOptions(), onError: (error, _req, _res, next) => next(error) }));
    app.get('/me', (_req, res) => {
      res.end();
    });
    app.use((error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      const guardError = error as JwtGuardError;
      res.status(guardError.status).json({ mine: guardError.code, isGuardError: guardError instanceof JwtGuardError });
    });
    const response = await request(app).get('/me').expect(401);
    expect(response.body).toEqual({ mine: 'token_missing', isGuardError: true });
  });

  it('getAuth returns the typed claims', async () => {
    const app = express();
    app.use(expressGuard.jwtGuard(issuer.verifierOptions()));
    app.get('/me', (req, res) => {
      const auth = expressGuard.getAuth<{ sub: string; tenant: string }>(req);
      res.json({ tenant: auth.payload.tenant, scopes: [...auth.scopes] });
    });
    const token = await issuer.sign({ tenant: 'acme', scope: 'a b' });
    const response = await request(app).get('/me').set('authorization', `Bearer ${token}`).expect(200);
    expect(response.body).toEqual({ tenant: 'acme', scopes: ['a', 'b'] });
  });

  it('a scope check without the guard is a clear server error, not a silent 401', async () => {
    const app = express();
    app.get('/orders', expressGuard.requireScope('orders:read'), (_req, res) => {
      res.end();
    });
    let seen: unknown;
    app.use((error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      seen = error;
      res.status(500).end();
    });
    await request(app).get('/orders').expect(500);
    expect((seen as JwtGuardError).code).toBe('config_invalid');
    expect((seen as JwtGuardError).message).toMatch(/app\.use\(jwtGuard/);
  });

  it('refuses bad options when the middleware is created', () => {
    expect(() => expressGuard.jwtGuard({ ...issuer.verifierOptions(), credentialsRequierd: false } as never)).toThrow(/unknown option "credentialsRequierd"; did you mean "credentialsRequired"/);
    expect(() => expressGuard.requireScope()).toThrow(/at least one scope/);
    expect(() => expressGuard.requireScope('orders read')).toThrow(/not a valid scope/);
  });
});

describe('koa', () => {
  it('onError can throw into Koa error handling', async () => {
    const app = new Koa();
    app.use(async (ctx, next) => {
      try {
        await next();
      } catch (error) {
        ctx.status = (error as { status: number }).status;
        ctx.body = { mine: (error as { message: string }).message };
      }
    });
    app.use(koaGuard.jwtGuard({ ...issuer.verifierOptions(), onError: (error, ctx) => ctx.throw(error.status, error.code) }));
    app.use((ctx) => {
      ctx.body = 'ok';
    });
    const response = await request(createServer(app.callback())).get('/').expect(401);
    expect(response.body).toEqual({ mine: 'token_missing' });
  });

  it('a scope check without the guard is a server error', async () => {
    const app = new Koa();
    const router = new Router();
    router.get('/orders', koaGuard.requireScope('orders:read'), (ctx) => {
      ctx.body = 'ok';
    });
    app.silent = true;
    app.use(router.routes());
    await request(createServer(app.callback())).get('/orders').expect(500);
  });

  it('getAuth returns the typed claims', async () => {
    const app = new Koa();
    app.use(koaGuard.jwtGuard(issuer.verifierOptions()));
    app.use((ctx) => {
      ctx.body = { tenant: koaGuard.getAuth<{ tenant: string }>(ctx).payload.tenant };
    });
    const token = await issuer.sign({ tenant: 'acme' });
    const response = await request(createServer(app.callback())).get('/').set('authorization', `Bearer ${token}`).expect(200);
    expect(response.body).toEqual({ tenant: 'acme' });
  });
});

describe('fastify', () => {
  it('guardAllRoutes: false guards only the routes that opt in', async () => {
    const app = Fastify();
    await app.register(fastifyGuard.jwtGuard, { ...issuer.verifierOptions(), guardAllRoutes: false });
    app.get('/open', async (req) => ({ auth: req.auth === undefined ? 'none' : 'set' }));
    app.get('/closed', { onRequest: app.authenticate, preHandler: fastifyGuard.requireScope('orders:read') }, async (req) => ({
      sub: fastifyGuard.getAuth(req).payload.sub,
    }));
    await app.ready();
    try {
      expect((await request(app.server).get('/open').expect(200)).body).toEqual({ auth: 'none' });
      const refused = await request(app.server).get('/closed').expect(401);
      expect(refused.headers['www-authenticate']).toBe('Bearer');
      const token = await issuer.tokenWithScopes('orders:read');
      expect((await request(app.server).get('/closed').set('authorization', `Bearer ${token}`).expect(200)).body).toEqual({ sub: 'user-1' });
    } finally {
      await app.close();
    }
  });

  it('a scope check on an uncovered route is a server error', async () => {
    const app = Fastify();
    await app.register(fastifyGuard.jwtGuard, { ...issuer.verifierOptions(), guardAllRoutes: false });
    app.get('/uncovered', { preHandler: fastifyGuard.requireScope('orders:read') }, async () => 'ok');
    const response = await app.inject({ method: 'GET', url: '/uncovered' });
    expect(response.statusCode).toBe(500);
    await app.close();
  });

  it('onError shapes the reply', async () => {
    const app = Fastify();
    await app.register(fastifyGuard.jwtGuard, {
      ...issuer.verifierOptions(),
      onError: (error, _request, reply) => reply.code(error.status).send({ mine: error.code }),
    });
    app.get('/me', async () => 'ok');
    const response = await app.inject({ method: 'GET', url: '/me' });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual({ mine: 'token_missing' });
    await app.close();
  });

  it('onError\'s reply is seen while an async onSend hook delays it: sent once, and the handler never runs', async () => {
    const app = Fastify();
    let sends = 0;
    app.addHook('onSend', async (_request, _reply, payload) => {
      sends++;
      await new Promise((resolve) => setTimeout(resolve, 10));
      return payload;
    });
    let ran = 0;
    await app.register(fastifyGuard.jwtGuard, {
      ...issuer.verifierOptions(),
      onError: (error, _request, reply) => reply.code(error.status).send({ mine: error.code }),
    });
    app.post('/orders', { preHandler: fastifyGuard.requireScope('orders:write') }, async () => {
      ran++;
      return 'created';
    });
    await app.ready();
    try {
      const missing = await request(app.server).post('/orders').expect(401);
      expect(missing.body).toEqual({ mine: 'token_missing' });
      const token = await issuer.tokenWithScopes('orders:read');
      const scope = await request(app.server).post('/orders').set('authorization', `Bearer ${token}`).expect(403);
      expect(scope.body).toEqual({ mine: 'insufficient_scope' });
      expect(ran).toBe(0);
      // One reply per request: the guard saw onError's send although the reply had not ended yet.
      expect(sends).toBe(2);
    } finally {
      await app.close();
    }
  });

  it('csrf.token.fieldName with guardAllRoutes: false: preValidation reads the form field, onRequest cannot (403 with a hint)', async () => {
    const csrfSecret = 'Wm3xK8qP1zR6tY0uI5oL9aS2dF7gH4jB';
    const hints: (string | undefined)[] = [];
    const app = Fastify();
    await app.register(fastifyFormbody);
    await app.register(fastifyGuard.jwtGuard, {
      ...issuer.verifierOptions(),
      getToken: fromCookie('at'),
      csrf: { token: { secret: csrfSecret, fieldName: '_csrf' } },
      guardAllRoutes: false,
      onRejected: (event) => hints.push(event.hint),
    });
    app.post('/late', { preValidation: app.authenticate }, async (req) => ({ sub: fastifyGuard.getAuth(req).payload.sub }));
    app.post('/early', { onRequest: app.authenticate }, async () => 'unreachable');
    await app.ready();
    try {
      const form = (path: string) =>
        request(app.server)
          .post(path)
          .set('cookie', `at=${token}`)
          .set('sec-fetch-site', 'same-origin')
          .type('form')
          .send(`_csrf=${createCsrfToken(csrfSecret, 'user-1')}`);
      const token = await issuer.sign({ sub: 'user-1' });
      expect((await form('/late').expect(200)).body).toEqual({ sub: 'user-1' });
      expect((await form('/early').expect(403)).body.error).toBe('csrf_check_failed');
      expect(hints).toEqual([expect.stringMatching(/no parsed body to read it from.*preValidation/)]);
    } finally {
      await app.close();
    }
  });

  it('refuses bad options at registration', async () => {
    const app = Fastify();
    await expect(app.register(fastifyGuard.jwtGuard, { issuer: 'x', audience: 'y' }).ready()).rejects.toThrow(/no key source/);
  });
});

describe('the CSRF Vary is added to a Vary set before the guard (CORS middleware), on every framework', () => {
  const servers = {
    express: () => {
      const app = express();
      app.use((_req, res, next) => {
        res.setHeader('vary', 'Accept-Encoding');
        next();
      });
      app.use(expressGuard.jwtGuard({ ...issuer.verifierOptions(), getToken: expressGuard.fromCookie('at') }));
      app.post('/orders', (_req, res) => {
        res.status(201).end();
      });
      return createServer(app);
    },
    koa: () => {
      const app = new Koa();
      app.use((ctx, next) => {
        ctx.set('vary', 'Accept-Encoding');
        return next();
      });
      app.use(koaGuard.jwtGuard({ ...issuer.verifierOptions(), getToken: koaGuard.fromCookie('at') }));
      const router = new Router();
      router.post('/orders', (ctx) => {
        ctx.status = 201;
      });
      app.use(router.routes());
      return createServer(app.callback());
    },
    fastify: async () => {
      const app = Fastify();
      app.addHook('onRequest', async (_request, reply) => {
        reply.header('vary', 'Accept-Encoding');
      });
      await app.register(fastifyGuard.jwtGuard, { ...issuer.verifierOptions(), getToken: fastifyGuard.fromCookie('at') });
      app.post('/orders', async (_request, reply) => reply.code(201).send());
      await app.ready();
      return app.server;
    },
  };

  it.each(Object.keys(servers) as (keyof typeof servers)[])('%s', async (name) => {
    const server = await servers[name]();
    const cookie = `at=${await issuer.sign()}`;
    const refused = await request(server).post('/orders').set('cookie', cookie).set('sec-fetch-site', 'cross-site').expect(403);
    expect(refused.headers.vary).toBe('Accept-Encoding, Origin, Sec-Fetch-Site');
    expect(refused.headers['www-authenticate']).toBeUndefined();
    const passed = await request(server).post('/orders').set('cookie', cookie).set('sec-fetch-site', 'same-origin').expect(201);
    expect(passed.headers.vary).toBe('Accept-Encoding, Origin, Sec-Fetch-Site');
    server.close();
  });
});
