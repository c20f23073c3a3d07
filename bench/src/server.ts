/**
 * One HTTP server for Part B, in its own process: `BENCH_SERVER` (JSON, a {@link ServerConfig})
 * says which framework and which auth middleware. Every variant serves `GET /r` with the same
 * small JSON body. Prints `LISTENING <port>` once ready; exits when stdin closes or on SIGTERM.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RevocationStore } from '@jwt-guard/core';

export type Framework = 'express' | 'koa' | 'fastify';
export type Impl = 'bare' | 'noop' | 'jwt-guard' | 'express-jwt' | 'express-oauth2-jwt-bearer' | 'koa-jwt' | '@fastify/jwt';

export interface ServerConfig {
  framework: Framework;
  impl: Impl;
  algorithm?: 'RS256' | 'HS256';
  revocation?: 'memory' | 'redis';
  redisUrl?: string;
  issuer: string;
  audience: string;
  publicKeyPem: string;
  /** HS256 secret: the UTF-8 bytes of this string. */
  secret: string;
  /**
   * jwt-guard only: guard `GET /g` alone and serve `GET /r` without auth from the same process, for
   * same-process A/B runs (the framework's own way to guard one route).
   */
  sameProcess?: boolean;
  /** jtis put on the denylist beforehand, so revocation lookups search a non-empty store. */
  revokedJtis?: number;
  repoDir: string;
}

const BODY = { ok: true };

interface Closable {
  close(): unknown;
}

async function revocationStore(config: ServerConfig, closers: Closable[]): Promise<RevocationStore | undefined> {
  if (config.revocation === undefined) return undefined;
  let store: RevocationStore;
  if (config.revocation === 'memory') {
    const { memoryRevocationStore } = await import('@jwt-guard/core');
    store = memoryRevocationStore();
  } else {
    // @jwt-guard/redis is optional for the bench (not a dependency): load its build and its `redis` client.
    const redisPackage = path.join(config.repoDir, 'packages/redis');
    const requireFromRedis = createRequire(path.join(redisPackage, 'package.json'));
    const redisModule = (await import(pathToFileURL(requireFromRedis.resolve('redis')).href)) as {
      createClient(options: { url: string }): Closable & { connect(): Promise<unknown>; on(event: 'error', listener: (error: Error) => void): unknown };
    };
    const storeModule = (await import(pathToFileURL(path.join(redisPackage, 'dist/index.js')).href)) as {
      redisRevocationStore(options: { client: unknown }): RevocationStore & {
        ready?: () => Promise<unknown>;
        close?: () => Promise<unknown>;
        revokeMany?: (entries: Iterable<readonly [string, number]>) => Promise<void>;
      };
    };
    const client = redisModule.createClient({ url: config.redisUrl! });
    client.on('error', (error) => process.stderr.write(`redis client: ${error.message}\n`));
    await client.connect();
    const redisStore = storeModule.redisRevocationStore({ client });
    await redisStore.ready?.();
    // Closed in reverse order: the store first, then the client we opened (it stays ours).
    closers.push(client, { close: () => redisStore.close?.() });
    store = redisStore;
    if (redisStore.revokeMany !== undefined) {
      const exp = Math.floor(Date.now() / 1000) + 3600;
      await redisStore.revokeMany(Array.from({ length: config.revokedJtis ?? 0 }, (_, i) => [`revoked-${i}`, exp] as const));
      return store;
    }
  }
  const exp = Math.floor(Date.now() / 1000) + 3600;
  for (let i = 0; i < (config.revokedJtis ?? 0); i++) await store.revoke(`revoked-${i}`, exp);
  return store;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.env.BENCH_SERVER ?? '') as ServerConfig;
  const closers: Closable[] = [];
  const alg = config.algorithm ?? 'RS256';
  const hs = alg === 'HS256';
  const publicKey: KeyObject = createPublicKey(config.publicKeyPem);
  const secretBytes = Buffer.from(config.secret, 'utf8');
  const store = await revocationStore(config, closers);
  // jwt-guard with a pre-imported key: a KeyObject, or the secret (imported once at start-up).
  const ours = {
    ...(hs ? { secret: config.secret } : { publicKey }),
    algorithms: [alg],
    issuer: config.issuer,
    audience: config.audience,
    ...(store === undefined ? {} : { revocation: { store } }),
  } as const;

  let port: number;
  if (config.framework === 'express') {
    const { default: express } = await import('express');
    const app = express();
    app.disable('x-powered-by');
    let guardedRoute: import('express').RequestHandler | undefined;
    switch (config.impl) {
      case 'bare':
        break;
      case 'noop':
        app.use((_req, _res, next) => next());
        break;
      case 'jwt-guard': {
        const { jwtGuard } = await import('@jwt-guard/express');
        // Same process: /g is routed after /r (below), so only the guarded route pays for the route before it.
        if (config.sameProcess === true) guardedRoute = jwtGuard(ours);
        else app.use(jwtGuard(ours));
        break;
      }
      case 'express-jwt': {
        const { expressjwt } = await import('express-jwt');
        app.use(expressjwt({ secret: hs ? secretBytes : publicKey, algorithms: [alg], issuer: config.issuer, audience: config.audience }));
        break;
      }
      case 'express-oauth2-jwt-bearer': {
        const { auth } = await import('express-oauth2-jwt-bearer');
        // A local key: `secret` (a string) for HS256, `publicKey` (PEM, imported once and cached) for RS256.
        app.use(
          auth(
            hs
              ? { issuer: config.issuer, audience: config.audience, secret: config.secret, tokenSigningAlg: 'HS256' }
              : { issuer: config.issuer, audience: config.audience, publicKey: config.publicKeyPem, tokenSigningAlg: 'RS256' },
          ),
        );
        break;
      }
      default:
        throw new Error(`express: no ${config.impl}`);
    }
    app.get('/r', (_req, res) => {
      res.json(BODY);
    });
    if (guardedRoute !== undefined) {
      app.get('/g', guardedRoute, (_req, res) => {
        res.json(BODY);
      });
    }
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
    port = (server.address() as AddressInfo).port;
    closers.push({ close: () => new Promise((resolve) => server.close(resolve)) });
  } else if (config.framework === 'koa') {
    const { default: Koa } = await import('koa');
    const app = new Koa();
    switch (config.impl) {
      case 'bare':
        break;
      case 'noop':
        app.use((_ctx, next) => next());
        break;
      case 'jwt-guard': {
        const { jwtGuard } = await import('@jwt-guard/koa');
        if (config.sameProcess === true) {
          // Koa has no per-route middleware without a router: /r is answered before the guard, as by the bare server.
          app.use((ctx, next) => {
            if (ctx.method === 'GET' && ctx.path === '/r') ctx.body = BODY;
            else return next();
          });
          app.use(jwtGuard(ours));
          app.use((ctx) => {
            if (ctx.method === 'GET' && ctx.path === '/g') ctx.body = BODY;
          });
        } else app.use(jwtGuard(ours));
        break;
      }
      case 'koa-jwt': {
        const { default: koaJwt } = await import('koa-jwt');
        // koa-jwt hands `secret` to jsonwebtoken.verify, which takes a KeyObject as is (its types say string | Buffer).
        app.use(koaJwt({ secret: hs ? secretBytes : (publicKey as unknown as string), algorithms: [alg], issuer: config.issuer, audience: config.audience }));
        break;
      }
      default:
        throw new Error(`koa: no ${config.impl}`);
    }
    app.use((ctx) => {
      if (ctx.method === 'GET' && ctx.path === '/r') ctx.body = BODY;
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
    port = (server.address() as AddressInfo).port;
    closers.push({ close: () => new Promise((resolve) => server.close(resolve)) });
  } else {
    const { default: Fastify } = await import('fastify');
    const app = Fastify({ logger: false });
    switch (config.impl) {
      case 'bare':
        break;
      case 'noop':
        app.addHook('onRequest', (_request, _reply, done) => done());
        break;
      case 'jwt-guard': {
        const { jwtGuard } = await import('@jwt-guard/fastify');
        if (config.sameProcess === true) {
          // An encapsulated context: the guard's hook runs for its routes only.
          await app.register(async (guarded) => {
            await guarded.register(jwtGuard, ours);
            guarded.get('/g', async () => BODY);
          });
        } else await app.register(jwtGuard, ours);
        break;
      }
      case '@fastify/jwt': {
        const { default: fastifyJwt } = await import('@fastify/jwt');
        await app.register(fastifyJwt, {
          secret: hs ? secretBytes : { public: config.publicKeyPem },
          verify: { algorithms: [alg], allowedIss: config.issuer, allowedAud: config.audience },
        });
        app.addHook('onRequest', async (request) => {
          await request.jwtVerify();
        });
        break;
      }
      default:
        throw new Error(`fastify: no ${config.impl}`);
    }
    app.get('/r', async () => BODY);
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as AddressInfo).port;
    closers.push(app);
  }

  let closing = false;
  const shutdown = async () => {
    if (closing) return;
    closing = true;
    for (const closer of closers.reverse()) await Promise.resolve(closer.close()).catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown());
  process.stdin.on('end', () => void shutdown());
  process.stdin.resume();
  process.stdout.write(`LISTENING ${port}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`server failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
