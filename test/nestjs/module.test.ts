/**
 * JwtGuardModule end to end on both platforms: forRootAsync, boot failures with the core's message,
 * an app's own exception filter, and core options (cookies + CSRF, remote JWKS, revocation) unchanged.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Catch, Controller, Get, HttpCode, Inject, Injectable, Module, Post, UseFilters, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { createGuard, fromCookie, memoryRevocationStore, type GuardOptions } from '@jwt-guard/core';
import { Auth, JwtGuardException, JwtGuardModule, JwtGuardService, RequireScope, type AuthContext, type JwtGuardModuleOptions } from '@jwt-guard/nestjs';
import { createTestIssuer, serveJwks, type TestIssuer } from '@jwt-guard/testing';
import { createNestApp, startNestApp, type NestPlatform } from './app.js';

@Controller('orders')
class OrdersController {
  @Get() @RequireScope('orders:read') list(@Auth() auth: AuthContext) { return { sub: auth.payload.sub }; }
  @Post() @HttpCode(201) @RequireScope('orders:write') create(@Auth() auth: AuthContext) { return { created: auth.payload.sub }; }
}

/** A configuration service, as an app would have one (here: a fixed map instead of the environment). */
@Injectable()
class AppConfig {
  constructor(@Inject('CONFIG_VALUES') private readonly values: Record<string, string>) {}
  get(name: string): string {
    const value = this.values[name];
    if (value === undefined) throw new Error(`missing config ${name}`);
    return value;
  }
}
@Module({ providers: [AppConfig, { provide: 'CONFIG_VALUES', useFactory: () => currentConfig }], exports: [AppConfig] })
class AppConfigModule {}
let currentConfig: Record<string, string> = {};

/** The message the core gives for these options (the module's own option name allowed): what NestFactory.create must reject with. */
function coreMessage(options: GuardOptions): string {
  try {
    createGuard(options, ['globalGuard']);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('the options are valid');
}

let hs: TestIssuer;
let rs: TestIssuer;
beforeAll(async () => {
  [hs, rs] = await Promise.all([createTestIssuer({ algorithm: 'HS256' }), createTestIssuer({ algorithm: 'RS256' })]);
});
afterAll(async () => {
  await Promise.all([hs.close(), rs.close()]);
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe.each<NestPlatform>(['express', 'fastify'])('nest-%s', (platform) => {
  const withGuard = (guard: JwtGuardModuleOptions) => startNestApp(platform, { guard, controllers: [OrdersController] });

  it('forRootAsync builds the options from an injected config provider', async () => {
    currentConfig = { JWT_SECRET: hs.verifierOptions().secret as string, JWT_ISSUER: hs.issuer, JWT_AUDIENCE: hs.audience };
    const app = await startNestApp(platform, {
      imports: [
        JwtGuardModule.forRootAsync({
          imports: [AppConfigModule],
          inject: [AppConfig],
          useFactory: (config: AppConfig) => ({ secret: config.get('JWT_SECRET'), issuer: config.get('JWT_ISSUER'), audience: config.get('JWT_AUDIENCE'), algorithms: ['HS256'] }),
        }),
      ],
      controllers: [OrdersController],
    });
    try {
      expect((await request(app.server).get('/orders').set(bearer(await hs.tokenWithScopes('orders:read')))).body).toEqual({ sub: 'user-1' });
      expect((await request(app.server).get('/orders')).status).toBe(401);
      await expect(app.app.get(JwtGuardService).ready()).resolves.toBeUndefined();
    } finally {
      await app.close();
    }
  });

  it.each([
    ['a weak HS256 secret', () => ({ secret: 'changeme', issuer: hs.issuer, audience: hs.audience, algorithms: ['HS256'] as const })],
    ['no key at all', () => ({ issuer: hs.issuer, audience: hs.audience })],
    ['an unknown option', () => ({ ...hs.verifierOptions(), globalGuards: false })],
  ])('boot fails with %s: NestFactory.create rejects with the core message', async (_name, options) => {
    const guard = options() as GuardOptions;
    @Module({ imports: [JwtGuardModule.forRoot(guard)], controllers: [OrdersController] })
    class BrokenModule {}
    const message = coreMessage(guard);
    expect(message).toMatch(/^jwt-guard configuration: /);
    if (_name === 'an unknown option') expect(message).toMatch(/did you mean "globalGuard"/);
    await expect(createNestApp(platform, BrokenModule)).rejects.toMatchObject({ code: 'config_invalid', message });
  });

  it('forRootAsync: a weak secret from the factory fails the boot too', async () => {
    @Module({ imports: [JwtGuardModule.forRootAsync({ useFactory: async () => ({ secret: 'changeme', issuer: hs.issuer, audience: hs.audience, algorithms: ['HS256'] }) })] })
    class BrokenAsyncModule {}
    await expect(createNestApp(platform, BrokenAsyncModule)).rejects.toMatchObject({ code: 'config_invalid', message: coreMessage({ secret: 'changeme', issuer: hs.issuer, audience: hs.audience, algorithms: ['HS256'] }) });
  });

  it.each([
    ['throws', () => { throw new Error('config service down'); }, { message: 'config service down' }],
    ['rejects', () => Promise.reject(new Error('vault unreachable')), { message: 'vault unreachable' }],
    ['returns nothing', () => undefined, { code: 'config_invalid', message: expect.stringMatching(/needs an options object/) }],
    ['returns garbage', () => 'secret', { code: 'config_invalid', message: expect.stringMatching(/needs an options object/) }],
  ])('forRootAsync: a factory that %s fails the boot, never an unguarded app', async (_name, useFactory, expected) => {
    @Module({ imports: [JwtGuardModule.forRootAsync({ useFactory: useFactory as () => JwtGuardModuleOptions })], controllers: [OrdersController] })
    class BrokenFactoryModule {}
    await expect(createNestApp(platform, BrokenFactoryModule)).rejects.toMatchObject(expected);
  });

  it("an app's own @Catch(JwtGuardException) filter reshapes the answer", async () => {
    @Catch(JwtGuardException)
    class ProblemFilter implements ExceptionFilter {
      catch(exception: JwtGuardException, host: ArgumentsHost) {
        // Express' res and Fastify's reply both have status, header and send.
        const response = host.switchToHttp().getResponse<{ status(code: number): { header(name: string, value: string): { send(body: string): unknown } } }>();
        const { error, error_description } = exception.getResponse();
        response.status(exception.getStatus()).header('content-type', 'application/problem+json').send(JSON.stringify({ title: error, detail: error_description, status: exception.error.status }));
      }
    }
    @Controller('problem')
    @UseFilters(ProblemFilter)
    class ProblemController {
      @Get() @RequireScope('orders:read') list() { return { ok: true }; }
    }
    const app = await startNestApp(platform, { guard: rs.verifierOptions(), controllers: [ProblemController] });
    try {
      const missing = await request(app.server).get('/problem');
      expect(missing.status).toBe(401);
      expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(missing.text)).toEqual({ title: 'token_missing', detail: 'No access token was provided.', status: 401 });
      // The guard set the challenge before throwing: a filter keeps it unless it removes it.
      expect(missing.headers['www-authenticate']).toBe('Bearer');
      const scope = await request(app.server).get('/problem').set(bearer(await rs.tokenWithScopes('profile')));
      expect([scope.status, JSON.parse(scope.text).title]).toEqual([403, 'insufficient_scope']);
    } finally {
      await app.close();
    }
  });

  it('a cookie token with the CSRF defence: a cross-site POST is 403 csrf_check_failed, same-origin passes', async () => {
    const app = await withGuard({ ...rs.verifierOptions(), getToken: fromCookie('access_token') });
    try {
      const cookie = `access_token=${await rs.tokenWithScopes('orders:write')}`;
      const crossSite = await request(app.server).post('/orders').set({ cookie, 'sec-fetch-site': 'cross-site' });
      expect([crossSite.status, crossSite.body.error]).toEqual([403, 'csrf_check_failed']);
      expect(crossSite.headers.vary).toBe('Origin, Sec-Fetch-Site');
      const sameOrigin = await request(app.server).post('/orders').set({ cookie, 'sec-fetch-site': 'same-origin' });
      expect([sameOrigin.status, sameOrigin.body]).toEqual([201, { created: 'user-1' }]);
      expect(sameOrigin.headers.vary).toBe('Origin, Sec-Fetch-Site');
    } finally {
      await app.close();
    }
  });

  it("remote JWKS: keys fetched from @jwt-guard/testing's JWKS server, ready() once they are usable", async () => {
    const server = await serveJwks(rs.jwks.keys);
    const app = await withGuard({ ...rs.verifierOptions(), jwks: undefined, jwksUri: server.url, warmUp: true });
    try {
      await app.app.get(JwtGuardService).ready();
      expect(server.requestCount()).toBe(1);
      expect((await request(app.server).get('/orders').set(bearer(await rs.tokenWithScopes('orders:read')))).body).toEqual({ sub: 'user-1' });
      server.fail(503);
      // Keys already held keep working while the key server is down.
      expect((await request(app.server).get('/orders').set(bearer(await rs.tokenWithScopes('orders:read')))).status).toBe(200);
    } finally {
      server.fail(undefined);
      await Promise.all([app.close(), server.close()]);
    }
  });

  it('revocation: a revoked jti and a logged-out subject are 401 token_revoked', async () => {
    const store = memoryRevocationStore();
    const app = await withGuard({ ...rs.verifierOptions(), revocation: { store } });
    try {
      const token = await rs.sign({ jti: 'nest-jti', scope: 'orders:read' });
      expect((await request(app.server).get('/orders').set(bearer(token))).status).toBe(200);
      await store.revoke('nest-jti', Math.floor(Date.now() / 1000) + 600);
      const revoked = await request(app.server).get('/orders').set(bearer(token));
      expect([revoked.status, revoked.body.error, revoked.headers['www-authenticate']]).toEqual([401, 'token_revoked', 'Bearer error="invalid_token", error_description="The access token has been revoked."']);
      await store.revokeSubject('user-2', Math.floor(Date.now() / 1000) + 1);
      expect((await request(app.server).get('/orders').set(bearer(await rs.sign({ sub: 'user-2', scope: 'orders:read' })))).body.error).toBe('token_revoked');
    } finally {
      await app.close();
    }
  });
});
