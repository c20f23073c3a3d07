/**
 * Type-level checks, enforced by `pnpm typecheck` (tsc over test/): `req.auth` and friends are typed
 * without casts in each framework, and an app declares its claims once for all of them.
 */
import type { Request } from 'express';
import type { FastifyRequest } from 'fastify';
import { describe, expectTypeOf, it } from 'vitest';
import type { AuthContext, JwtGuardError } from '@jwt-guard/core';
import { getAuth as getExpressAuth } from '@jwt-guard/express';
import type { JwtGuardState } from '@jwt-guard/koa';
import '@jwt-guard/fastify';

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
});
