import type { ModuleMetadata, InjectionToken, OptionalFactoryDependency } from '@nestjs/common';
import type { GuardOptions, JWTPayload, JwtGuardClaims } from '@jwt-guard/core';

/** The options `JwtGuardModule.forRoot` (or `forRootAsync`'s factory) returns, injectable as `JWT_GUARD_OPTIONS`. */
export const JWT_GUARD_OPTIONS = 'JWT_GUARD_OPTIONS';
/** The core guard (`createGuard`) built from those options at boot. */
export const JWT_GUARD = 'JWT_GUARD';

export type JwtGuardModuleOptions<Claims extends JWTPayload = JwtGuardClaims> = GuardOptions<Claims> & {
  /**
   * Default true: `JwtGuard` is registered as `APP_GUARD`, guarding every route of the app. False:
   * no route is guarded until the app places `@UseGuards(JwtGuard)` on controllers or handlers.
   */
  globalGuard?: boolean;
};

export interface JwtGuardModuleAsyncOptions<Claims extends JWTPayload = JwtGuardClaims> {
  /** Modules whose providers the factory injects (e.g. `ConfigModule`). */
  imports?: ModuleMetadata['imports'];
  /** What the factory receives, in order (e.g. `[ConfigService]`). */
  inject?: Array<InjectionToken | OptionalFactoryDependency>;
  /** Builds the options at boot; a missing or weak key then fails `NestFactory.create`. */
  useFactory: (...args: never[]) => JwtGuardModuleOptions<Claims> | Promise<JwtGuardModuleOptions<Claims>>;
}
