import type { AuthContext, JwtGuardError } from '@jwt-guard/core';

export { JwtGuardModule, JwtGuardService } from './module.js';
export { JwtGuard } from './guard.js';
export { Auth, Public, RequireAnyScope, RequireAuthLevel, RequireClaim, RequireScope, type AuthOptions, type PublicOptions } from './decorators.js';
export { JwtGuardException } from './exception.js';
export { JWT_GUARD_OPTIONS, type JwtGuardModuleAsyncOptions, type JwtGuardModuleOptions } from './options.js';

declare global {
  // Express' request type, augmented without importing express (a global namespace, types only).
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The verified token, set by the JwtGuard; undefined on anonymous requests. Prefer `@Auth()`. */
      auth?: AuthContext;
      /** Why a present token was refused, when the request still went on as anonymous. */
      authError?: JwtGuardError;
    }
  }
}

// What a Nest app writes alongside the decorators; the rest is in @jwt-guard/core.
export {
  certificateFromHeader,
  certificateThumbprint,
  fromCookie,
  fromHeader,
  JwtGuardError,
  secretFromEnv,
  type AuthContext,
  type AuthLevel,
  type CsrfOptions,
  type ErrorCode,
  type GuardOptions,
  type JWTPayload,
  type JwtGuardClaims,
  type CertificateSource,
  type MtlsOptions,
  type RejectedEvent,
  type VerifiedEvent,
} from '@jwt-guard/core';
