/**
 * Type-level checks for @jwt-guard/nestjs, enforced by `pnpm typecheck` (tsc over test/): the
 * handler sees the parameter's declared type, the app's claims, without a cast.
 */
import { Controller, Get } from '@nestjs/common';
import { describe, expectTypeOf, it } from 'vitest';
import { Auth, JwtGuardModule, Public, RequireAuthLevel, RequireClaim, RequireScope, type AuthContext, type JwtGuardModuleOptions, type VerifiedEvent } from '@jwt-guard/nestjs';

type OrderClaims = {
  sub: string;
  role: 'admin' | 'clerk';
  tenant: string;
};

describe('@jwt-guard/nestjs types', () => {
  it('@Auth() gives the handler the declared AuthContext<Claims>, no cast', () => {
    @Controller('orders')
    class OrdersController {
      @Get() list(@Auth() auth: AuthContext<OrderClaims>) {
        expectTypeOf(auth.payload.role).toEqualTypeOf<'admin' | 'clerk'>();
        expectTypeOf(auth.scopes).toEqualTypeOf<ReadonlySet<string>>();
        return auth.payload.tenant;
      }
      @Get('feed') @Public({ optionalAuth: true }) feed(@Auth({ optional: true }) auth: AuthContext<OrderClaims> | undefined) {
        // @ts-expect-error possibly undefined: an optional @Auth must be narrowed first
        void auth.payload;
        return auth?.payload.sub;
      }
    }
    expectTypeOf<ReturnType<OrdersController['list']>>().toEqualTypeOf<string>();
    expectTypeOf(Auth).parameter(0).toEqualTypeOf<{ optional?: boolean } | undefined>();
  });

  it('decorator arguments are checked', () => {
    // Never called: these would throw at run time too; here the compiler refuses them.
    const _misuse = () => {
      // @ts-expect-error a scope is a string
      RequireScope(42);
      // @ts-expect-error optionalAuth, not optional
      Public({ optional: true });
      // @ts-expect-error requireClaim needs an expected value
      RequireClaim('role');
      // @ts-expect-error requireAuthLevel takes { acr, maxAge }, not an acr string
      RequireAuthLevel('phr');
    };
    expectTypeOf(RequireClaim).toBeCallableWith('role', (value: unknown) => value === 'admin');
  });

  it('module options carry the claims type into the hooks', () => {
    const options: JwtGuardModuleOptions<OrderClaims> = {
      secret: 'x'.repeat(32),
      issuer: 'https://issuer.test/',
      audience: 'api',
      globalGuard: false,
      onVerified: (event) => expectTypeOf(event).toEqualTypeOf<VerifiedEvent<OrderClaims>>(),
    };
    expectTypeOf(JwtGuardModule.forRoot<OrderClaims>).toBeCallableWith(options);
    const _misuse = () => {
      // @ts-expect-error globalGuard is a boolean
      JwtGuardModule.forRoot({ ...options, globalGuard: 'yes' });
    };
  });
});
