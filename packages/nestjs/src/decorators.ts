import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import { defineRouteChecks, JwtGuardError, notGuardedError, requireAuth, type Requirement, type RouteChecks } from '@jwt-guard/core';
import { httpOf, toGuardRequest } from './context.js';
import { refusal } from './exception.js';
import { guardOf } from './state.js';

export const PUBLIC_KEY = 'jwt-guard:public';
export const REQUIREMENTS_KEY = 'jwt-guard:requirements';

export interface PublicOptions {
  /**
   * Still verify a token when one is sent: a valid one is attached (`@Auth({ optional: true })`),
   * an invalid one is refused (401); without one the request goes on anonymous. Default false: a
   * token, valid or not, is ignored.
   */
  optionalAuth?: boolean;
}

/** No token needed on this handler or controller; the handler's `@Public` wins over the class's. */
export const Public = (options: PublicOptions = {}): ClassDecorator & MethodDecorator =>
  SetMetadata(PUBLIC_KEY, { optionalAuth: options.optionalAuth === true });

/** A class or method decorator that appends a requirement: several on one target, and class and handler, all apply. */
type RequirementDecorator = ClassDecorator & MethodDecorator;

function requirementDecorator(requirement: Requirement): RequirementDecorator {
  return (target: object, _key?: string | symbol, descriptor?: PropertyDescriptor) => {
    // On a method, the metadata goes on the function, where Reflector.get(key, context.getHandler()) reads it.
    const holder = descriptor === undefined ? target : (descriptor.value as object);
    const existing = (Reflect.getMetadata(REQUIREMENTS_KEY, holder) as Requirement[] | undefined) ?? [];
    Reflect.defineMetadata(REQUIREMENTS_KEY, [...existing, requirement], holder);
  };
}

/** The core's route checks, as decorators: checked when the class is defined. */
const routeChecks: RouteChecks<RequirementDecorator> = defineRouteChecks(requirementDecorator);
/** The token must carry every one of these scopes (403 `insufficient_scope`). Class and handler scopes are all required. */
export const RequireScope: RouteChecks<RequirementDecorator>['requireScope'] = routeChecks.requireScope;
/** The token must carry at least one of these scopes. */
export const RequireAnyScope: RouteChecks<RequirementDecorator>['requireAnyScope'] = routeChecks.requireAnyScope;
/** A claim must equal a value, be one of several, or pass a predicate (403 `claim_mismatch`). */
export const RequireClaim: RouteChecks<RequirementDecorator>['requireClaim'] = routeChecks.requireClaim;
/**
 * Step-up (RFC 9470): the user authenticated with one of `acr`, and/or no longer than `maxAge` ago
 * (`auth_time`, timed by the guard's clock); else 401 `insufficient_user_authentication` with
 * `acr_values` / `max_age` in the challenge. On a class and a handler, both apply.
 */
export const RequireAuthLevel: RouteChecks<RequirementDecorator>['requireAuthLevel'] = routeChecks.requireAuthLevel;

export interface AuthOptions {
  /** Hand the handler `undefined` on an anonymous request instead of refusing it with 401 `token_missing`. Default false. */
  optional?: boolean;
}

function authOf(options: AuthOptions | undefined, context: ExecutionContext) {
  const { request, response } = httpOf(context);
  if (request.auth !== undefined || options?.optional === true) return request.auth;
  const guard = guardOf(request);
  if (guard === undefined) throw notGuardedError('@Auth() needs the JwtGuard: keep globalGuard on, or add @UseGuards(JwtGuard).');
  try {
    return requireAuth(request.auth);
  } catch (error) {
    // The 401 token_missing of getAuth() in the other adapters, answered as the guard's own refusal.
    if (error instanceof JwtGuardError) throw refusal(guard.refuse(toGuardRequest(request), error), response);
    throw error;
  }
}

/**
 * The verified token of the request, typed as the parameter is declared:
 * `@Auth() auth: AuthContext<MyClaims>`. On an anonymous request (a `@Public` route) it refuses
 * with 401 `token_missing`, unless `{ optional: true }`, which gives `undefined`.
 */
export const Auth: (options?: AuthOptions) => ParameterDecorator = createParamDecorator(authOf);
