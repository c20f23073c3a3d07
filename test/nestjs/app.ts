/**
 * The shared orders API (see test/adapters/apps.ts) as a Nest app, on either HTTP platform. Loaded
 * lazily by startApp, so test files that never start a Nest app never load Nest.
 */
import 'reflect-metadata';
import { Catch, Controller, Get, HttpCode, HttpException, Module, Options, Post, Req, type ArgumentsHost, type HttpServer, type INestApplication, type ModuleMetadata, type NestApplicationOptions, type Type } from '@nestjs/common';
import { BaseExceptionFilter, NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import type express from 'express';
import type { ServerOptions as HttpsOptions } from 'node:https';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { JwtGuardModule, Public, RequireAnyScope, RequireAuthLevel, RequireClaim, RequireScope, type JwtGuardModuleOptions } from '@jwt-guard/nestjs';
import { describeAuth, errorAnswer, STEP_UP, tamperWith, type TestApp } from '../adapters/apps.js';

export type NestPlatform = 'express' | 'fastify';

interface GuardedRequest {
  auth?: Parameters<typeof describeAuth>[0];
  authError?: Parameters<typeof describeAuth>[1];
}

@Controller()
class OrdersController {
  @Get('public') @Public() public() { return { public: true }; }
  @Get('me') me(@Req() req: GuardedRequest) { return describeAuth(req.auth, req.authError); }
  @Get('orders') @RequireScope('orders:read') list(@Req() req: GuardedRequest) { return describeAuth(req.auth, req.authError); }
  @Post('orders') @HttpCode(201) @RequireScope('orders:write') create(@Req() req: GuardedRequest) { return describeAuth(req.auth, req.authError); }
  @Get('reports') @RequireAnyScope('reports:read', 'admin') reports(@Req() req: GuardedRequest) { return describeAuth(req.auth, req.authError); }
  @Get('admin') @RequireClaim('role', 'admin') admin(@Req() req: GuardedRequest) { return describeAuth(req.auth, req.authError); }
  @Get('constructor-claim') @RequireClaim('constructor', (value) => value != null) constructorClaim(@Req() req: GuardedRequest) { return describeAuth(req.auth, req.authError); }
  @Get('mfa') @RequireAuthLevel(STEP_UP.mfa) mfa(@Req() req: GuardedRequest) { return describeAuth(req.auth, req.authError); }
  @Get('recent-login') @RequireAuthLevel(STEP_UP.recentLogin) recentLogin(@Req() req: GuardedRequest) { return describeAuth(req.auth, req.authError); }
  @Get('transfer') @RequireAuthLevel(STEP_UP.transfer) transfer(@Req() req: GuardedRequest) { return describeAuth(req.auth, req.authError); }
  @Get('mutate') mutate(@Req() req: GuardedRequest) {
    tamperWith(req.auth);
    return describeAuth(req.auth, req.authError);
  }
  @Options('me') @HttpCode(204) preflight() {}
}

/**
 * The apps' error handler: Nest's own exceptions (JwtGuardException among them) answered by Nest's
 * default filter; a JwtGuardError like the guard's refusal; anything else 500 server_error.
 */
@Catch()
class AppErrors extends BaseExceptionFilter {
  constructor(private readonly http: HttpServer) {
    super(http);
  }

  override catch(exception: unknown, host: ArgumentsHost): unknown {
    // A GraphQL error goes back to the GraphQL server (as a GqlExceptionFilter does), never to the HTTP response.
    if (host.getType<string>() === 'graphql') return exception;
    if (exception instanceof HttpException) return super.catch(exception, host);
    const answer = errorAnswer(exception);
    const response: unknown = host.switchToHttp().getResponse();
    for (const [name, value] of Object.entries(answer.headers)) this.http.setHeader(response, name, value);
    this.http.reply(response, answer.body, answer.status);
  }
}

export interface NestAppOptions {
  /** The guard's options for `JwtGuardModule.forRoot`; ignored when `imports` is given. */
  guard?: JwtGuardModuleOptions;
  imports?: ModuleMetadata['imports'];
  /** Default: the shared orders API. */
  controllers?: Type[];
  providers?: ModuleMetadata['providers'];
  /** Trust `X-Forwarded-For` from loopback (Express `trust proxy`, Fastify `trustProxy`). Default false. */
  trustProxy?: boolean;
  /** Serve HTTPS with these options (certificates, `requestCert` for mutual TLS). Default plain HTTP. */
  https?: HttpsOptions;
}

/** A Nest app of `controllers` with the guard from `forRoot(options)` (or the given imports), listening on a free port. */
export async function startNestApp(platform: NestPlatform, options: NestAppOptions = {}): Promise<TestApp & { app: INestApplication }> {
  @Module({
    imports: options.imports ?? [JwtGuardModule.forRoot(options.guard ?? {})],
    controllers: options.controllers ?? [OrdersController],
    providers: options.providers ?? [],
  })
  class AppModule {}
  const app = await createNestApp(platform, AppModule, options.trustProxy ?? false, options.https);
  app.useGlobalFilters(new AppErrors(app.getHttpAdapter()));
  await app.listen(0, '127.0.0.1');
  return { app, server: app.getHttpServer(), close: () => app.close() };
}

/** NestFactory.create without logs; `abortOnError: false` so a boot failure rejects instead of aborting the process. */
export async function createNestApp(platform: NestPlatform, module: Type, trustProxy = false, https?: HttpsOptions): Promise<INestApplication> {
  const options = { logger: false as const, abortOnError: false };
  if (platform === 'fastify') {
    return NestFactory.create(module, new FastifyAdapter({ ...(trustProxy ? { trustProxy: '127.0.0.1' } : {}), ...(https === undefined ? {} : { https }) }), options);
  }
  const app = await NestFactory.create(module, new ExpressAdapter(), https === undefined ? options : { ...options, httpsOptions: https as NestApplicationOptions['httpsOptions'] });
  if (trustProxy) (app.getHttpAdapter().getInstance() as express.Express).set('trust proxy', 'loopback');
  return app;
}
