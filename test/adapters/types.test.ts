/**
 * Type-level checks, enforced by `pnpm typecheck` (tsc over test/): `req.auth` and friends are typed
 * without casts in each framework, and an app declares its claims once for all of them.
 */
import type { Request, RequestHandler } from 'express';
import type { FastifyRequest, preHandlerHookHandler } from 'fastify';
import type { Middleware } from 'koa';
import { describe, expectTypeOf, it } from 'vitest';
import type { AuthContext, AuthLevel, JwtGuardError } from '@jwt-guard/core';
import { getAuth as getExpressAuth, requireAuthLevel as expressAuthLevel } from '@jwt-guard/express';
import { requireAuthLevel as fastifyAuthLevel } from '@jwt-guard/fastify';
import { requireAuthLevel as koaAuthLevel } from '@jwt-guard/koa';
import type { JwtGuardState } from '@jwt-guard/koa';

declare module '@jwt-guard/core' {
  interface JwtGuardClaims {
    /** Declared once, here, for the whole test program. */
    tenant?: string;
  }
}

describe('types', () => {
  it('Express: req.auth and req.authError are typed by augmentation', () => {
    expectTypeOf<Request['auth']>().toEqualTypeOf<AuthContext | undefined>();
    expectTypeOf<Request['authError']>().toEqualTypeOf<JwtGuardError | undefined>();
    expectTypeOf<NonNullable<Request['auth']>['payload']['tenant']>().toEqualTypeOf<string | undefined>();
    expectTypeOf(getExpressAuth<{ sub: string; role: 'admin' | 'user' }>).returns.toHaveProperty('payload').toHaveProperty('role').toEqualTypeOf<'admin' | 'user'>();
  });

  it('Koa: ctx.state is typed through JwtGuardState, no global augmentation', () => {
    expectTypeOf<JwtGuardState['auth']>().toEqualTypeOf<AuthContext | undefined>();
    expectTypeOf<NonNullable<JwtGuardState<{ org: string }>['auth']>['payload']['org']>().toEqualTypeOf<string>();
  });

  it('Fastify: request.auth is a typed decoration, possibly undefined', () => {
    expectTypeOf<FastifyRequest['auth']>().toEqualTypeOf<AuthContext | undefined>();
    expectTypeOf<NonNullable<FastifyRequest['auth']>['scopes']>().toEqualTypeOf<ReadonlySet<string>>();
  });

  it('requireAuthLevel: one AuthLevel argument, each framework\'s own middleware type', () => {
    expectTypeOf(expressAuthLevel).parameter(0).toEqualTypeOf<AuthLevel>();
    expectTypeOf(expressAuthLevel).returns.toEqualTypeOf<RequestHandler>();
    expectTypeOf(koaAuthLevel).returns.toEqualTypeOf<Middleware<JwtGuardState>>();
    expectTypeOf(fastifyAuthLevel).returns.toEqualTypeOf<preHandlerHookHandler>();
    expectTypeOf(expressAuthLevel).toBeCallableWith({ acr: ['phr', 'phrh'], maxAge: '5m' });
    // Never called: the compiler refuses these (the run-time checks refuse them too).
    const _misuse = () => {
      // @ts-expect-error acr values are strings
      expressAuthLevel({ acr: 2 });
      // @ts-expect-error max_age is the header's name; the option is maxAge
      koaAuthLevel({ max_age: 300 });
      // @ts-expect-error maxAge is seconds or a duration string
      fastifyAuthLevel({ maxAge: true });
    };
  });
});
