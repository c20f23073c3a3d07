import { Global, Inject, Injectable, Module, type CanActivate, type DynamicModule, type Provider } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { configError, createGuard, type Guard, type JWTPayload, type JwtGuardClaims, type Verifier } from '@jwt-guard/core';
import { JwtGuard } from './guard.js';
import { JWT_GUARD, JWT_GUARD_OPTIONS, type JwtGuardModuleAsyncOptions, type JwtGuardModuleOptions } from './options.js';

/** The guard's verifier, injectable: `ready()` resolves once remote keys are usable (for readiness probes). */
@Injectable()
export class JwtGuardService {
  readonly verifier: Verifier;

  constructor(@Inject(JWT_GUARD) guard: Guard) {
    this.verifier = guard.verifier;
  }

  ready(): Promise<void> {
    return this.verifier.ready();
  }
}

/** What `globalGuard: false` registers as `APP_GUARD`: nothing is guarded until `@UseGuards(JwtGuard)`. */
const NOT_GLOBAL: CanActivate = { canActivate: () => true };

function guardFrom(options: JwtGuardModuleOptions): Guard {
  const globalGuard = options?.globalGuard ?? true;
  if (typeof globalGuard !== 'boolean') throw configError('globalGuard must be true or false.');
  return createGuard(options, ['globalGuard']);
}

/** The module: `JwtGuardModule.forRoot(options)` or `forRootAsync({ imports, inject, useFactory })`, once, in the root module. */
@Global()
@Module({})
export class JwtGuardModule {
  static forRoot<Claims extends JWTPayload = JwtGuardClaims>(options: JwtGuardModuleOptions<Claims>): DynamicModule {
    return JwtGuardModule.with([{ provide: JWT_GUARD_OPTIONS, useValue: options }]);
  }

  static forRootAsync<Claims extends JWTPayload = JwtGuardClaims>(options: JwtGuardModuleAsyncOptions<Claims>): DynamicModule {
    const { imports = [], inject = [], useFactory } = options;
    return JwtGuardModule.with([{ provide: JWT_GUARD_OPTIONS, useFactory, inject }], imports);
  }

  private static with(optionsProvider: Provider[], imports: NonNullable<DynamicModule['imports']> = []): DynamicModule {
    const providers: Provider[] = [
      ...optionsProvider,
      // Built at boot, so a missing or weak key rejects NestFactory.create with the core's message.
      { provide: JWT_GUARD, useFactory: guardFrom, inject: [JWT_GUARD_OPTIONS] },
      JwtGuard,
      JwtGuardService,
      {
        provide: APP_GUARD,
        useFactory: (moduleOptions: JwtGuardModuleOptions, guard: JwtGuard) => (moduleOptions.globalGuard === false ? NOT_GLOBAL : guard),
        inject: [JWT_GUARD_OPTIONS, JwtGuard],
      },
    ];
    return {
      module: JwtGuardModule,
      global: true,
      imports,
      providers,
      exports: [JWT_GUARD_OPTIONS, JWT_GUARD, JwtGuard, JwtGuardService],
    };
  }
}
