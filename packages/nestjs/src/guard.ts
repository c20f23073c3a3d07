import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { appendVary, type Guard, type GuardOutcome, type Requirement } from '@jwt-guard/core';
import { httpOf, isHttpLike, toGuardRequest, type PlatformRequest, type PlatformResponse } from './context.js';
import { PUBLIC_KEY, REQUIREMENTS_KEY, type PublicOptions } from './decorators.js';
import { refusal } from './exception.js';
import { JWT_GUARD } from './options.js';
import { stateOf } from './state.js';

type Handler = ReturnType<ExecutionContext['getHandler']>;
type Controller = ReturnType<ExecutionContext['getClass']>;

/** What the decorators say about one handler, once the class's and the handler's are combined. */
interface RoutePolicy {
  /** `@Public` nearest the handler (handler over class); undefined when the route is not public. */
  public: Required<PublicOptions> | undefined;
  /** The class's requirements (unless the handler itself is `@Public`), then the handler's: outer first. */
  requirements: readonly Requirement[];
}

/**
 * The core guard as a Nest guard: registered as `APP_GUARD` by `JwtGuardModule` (or placed with
 * `@UseGuards(JwtGuard)` under `globalGuard: false`). Sets `request.auth`; refusals are thrown as
 * `JwtGuardException` with the other adapters' status, headers and body.
 */
@Injectable()
export class JwtGuard implements CanActivate {
  constructor(
    @Inject(JWT_GUARD) private readonly guard: Guard,
    @Inject(Reflector) private readonly reflector: Reflector,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const policy = this.policyOf(context);
    // A public route without requirements: the token, valid or not, is not even read.
    const open = policy.public !== undefined && !policy.public.optionalAuth && policy.requirements.length === 0;
    if (open && !isHttpLike(context)) return true;
    const { request, response } = httpOf(context);
    // Marked even on an open route: @Auth() there then refuses with 401, not as a wiring error.
    const state = stateOf(request, this.guard);
    if (open) return true;
    if (state.outcome !== undefined) return this.settle(state.outcome, policy, request, response);
    const outcome = this.guard.authenticate(toGuardRequest(request, this.guard.readsClientAddress));
    // Synchronous unless a key fetch or an asynchronous revocation store is involved.
    if (outcome instanceof Promise) {
      return outcome.then((settled) => {
        state.outcome = settled;
        return this.settle(settled, policy, request, response);
      });
    }
    state.outcome = outcome;
    return this.settle(outcome, policy, request, response);
  }

  /**
   * Decorator metadata is fixed once the app is built: read it once per controller and handler (four
   * reflect-metadata lookups cost more than verifying a cached token). Keyed by class, then handler:
   * a handler inherited by another controller class gets that class's decorators.
   */
  private readonly policies = new WeakMap<object, WeakMap<object, RoutePolicy>>();

  private policyOf(context: ExecutionContext): RoutePolicy {
    const handler = context.getHandler();
    const controller = context.getClass();
    let byHandler = this.policies.get(controller);
    if (byHandler === undefined) {
      byHandler = new WeakMap();
      this.policies.set(controller, byHandler);
    }
    let policy = byHandler.get(handler);
    if (policy === undefined) {
      policy = this.readPolicy(handler, controller);
      byHandler.set(handler, policy);
    }
    return policy;
  }

  private readPolicy(handler: Handler, controller: Controller): RoutePolicy {
    const publicOptions = this.reflector.getAllAndOverride<Required<PublicOptions> | undefined>(PUBLIC_KEY, [handler, controller]);
    const handlerIsPublic = this.reflector.get<Required<PublicOptions> | undefined>(PUBLIC_KEY, handler) !== undefined;
    const own = this.reflector.get<Requirement[] | undefined>(REQUIREMENTS_KEY, handler) ?? [];
    const inherited = handlerIsPublic ? [] : (this.reflector.get<Requirement[] | undefined>(REQUIREMENTS_KEY, controller) ?? []);
    return Object.freeze({ public: publicOptions, requirements: Object.freeze([...inherited, ...own]) });
  }

  private settle(outcome: GuardOutcome, policy: RoutePolicy, request: PlatformRequest, response: PlatformResponse | undefined): boolean {
    // The CSRF check ran: whatever answers, the answer depends on Origin and Sec-Fetch-Site.
    if (outcome.vary !== undefined && response !== undefined) response.header('vary', appendVary(response.getHeader('vary'), outcome.vary));
    switch (outcome.type) {
      case 'preflight':
        return true;
      case 'rejected':
        // On a public route a missing token is anonymous; an invalid one is still refused.
        if (policy.public !== undefined && outcome.error.code === 'token_missing') break;
        throw refusal(outcome.error, response);
      case 'authenticated':
        request.auth = outcome.auth;
        break;
      case 'anonymous':
        if (outcome.error !== undefined) request.authError = outcome.error;
        break;
    }
    for (const requirement of policy.requirements) {
      const error = requirement(request.auth, request.authError, this.guard.clock);
      if (error !== undefined) throw refusal(this.guard.refuse(toGuardRequest(request), error), response);
    }
    return true;
  }
}
