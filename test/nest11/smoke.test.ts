/**
 * The built @jwt-guard/nestjs on NestJS 11, its lower peer range: this package gets an injected copy
 * of packages/nestjs (dist), which resolves @nestjs/* from here, i.e. Nest 11. The package is
 * loaded with require() from this directory, past the test alias that maps it to the sources.
 */
import 'reflect-metadata';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { createTestIssuer, type TestIssuer } from '@jwt-guard/testing';

const requireHere = createRequire(import.meta.url);
const { Auth, JwtGuardModule, Public, RequireScope } = requireHere('@jwt-guard/nestjs') as typeof import('@jwt-guard/nestjs');
type AuthContext = import('@jwt-guard/nestjs').AuthContext;

/** The version of a package as the built @jwt-guard/nestjs resolves it (its own require). */
function versionSeenByPackage(name: string): string {
  const packageRequire = createRequire(requireHere.resolve('@jwt-guard/nestjs'));
  return (JSON.parse(readFileSync(packageRequire.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
}

@Controller()
class OrdersController {
  @Get('orders') @RequireScope('orders:read') list(@Auth() auth: AuthContext) { return { sub: auth.payload.sub }; }
  @Get('health') @Public() health() { return { ok: true }; }
}

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer({ algorithm: 'RS256' });
});
afterAll(() => issuer.close());

it('Nest 11 is what is loaded, by the tests and by the built package', () => {
  for (const name of ['@nestjs/core', '@nestjs/common']) {
    expect(versionSeenByPackage(name), name).toMatch(/^11\./);
    expect((JSON.parse(readFileSync(requireHere.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version, name).toMatch(/^11\./);
  }
});

describe.each(['express', 'fastify'] as const)('Nest 11 on %s', (platform) => {
  let app: INestApplication;
  beforeAll(async () => {
    @Module({ imports: [JwtGuardModule.forRoot(issuer.verifierOptions())], controllers: [OrdersController] })
    class AppModule {}
    const options = { logger: false as const, abortOnError: false };
    app = platform === 'express' ? await NestFactory.create(AppModule, new ExpressAdapter(), options) : await NestFactory.create(AppModule, new FastifyAdapter(), options);
    await app.listen(0, '127.0.0.1');
  });
  afterAll(() => app?.close());

  it('a valid token with the scope: 200', async () => {
    const response = await request(app.getHttpServer()).get('/orders').set('authorization', `Bearer ${await issuer.tokenWithScopes('orders:read')}`);
    expect([response.status, response.body]).toEqual([200, { sub: 'user-1' }]);
  });

  it('no token: 401 token_missing with WWW-Authenticate', async () => {
    const response = await request(app.getHttpServer()).get('/orders');
    expect([response.status, response.body.error, response.headers['www-authenticate']]).toEqual([401, 'token_missing', 'Bearer']);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it('insufficient scope: 403', async () => {
    const response = await request(app.getHttpServer()).get('/orders').set('authorization', `Bearer ${await issuer.tokenWithScopes('profile')}`);
    expect([response.status, response.body.error]).toEqual([403, 'insufficient_scope']);
    expect(response.headers['www-authenticate']).toBe('Bearer error="insufficient_scope", error_description="The access token does not have the scope this request requires.", scope="orders:read"');
  });

  it('@Public: no token needed', async () => {
    const response = await request(app.getHttpServer()).get('/health');
    expect([response.status, response.body]).toEqual([200, { ok: true }]);
  });
});
