import type { Context, Middleware, Next } from 'koa';
import {
  answerRefusal,
  clientCertificateOf,
  createGuard,
  defineRouteChecks,
  errorResponse,
  JwtGuardError,
  notGuardedError,
  requireAuth,
  type AuthContext,
  type GuardOptions,
  type GuardOutcome,
  type GuardRequest,
  type JWTPayload,
  type JwtGuardClaims,
  type Requirement,
  type RouteCheckClock,
  type RouteChecks,
} from '@jwt-guard/core';

/** What the guard puts in `ctx.state`. Use it as your app's or router's state type: `new Router<JwtGuardState>()`. */
export interface JwtGuardState<Claims extends JWTPayload = JwtGuardClaims> {
  /** The verified token; undefined on anonymous requests. */
  auth?: AuthContext<Claims>;
  /** Why a present token was refused, when the request still went on as anonymous. */
  authError?: JwtGuardError;
}

/** Shapes a refusal yourself, e.g. `ctx.throw(error.status, error.message)` for your error middleware. */
export type KoaErrorHandler = (error: JwtGuardError, ctx: Context) => void | Promise<void>;

export interface KoaGuardOptions<Claims extends JWTPayload = JwtGuardClaims> extends GuardOptions<Claims> {
  /**
   * Replaces the default refusal response, for the guard and the route checks. Set `ctx.status` /
   * `ctx.body`, or throw (or reject) to hand the error to your error middleware. It cannot let the
   * request through: if it returns (or its promise settles) having changed neither, the guard sends
   * its default refusal.
   */
  onError?: KoaErrorHandler;
}

interface GuardState {
  refuse(request: GuardRequest, error: JwtGuardError): JwtGuardError;
  /** The guard's clock, for time checks on the route (`requireAuthLevel({ maxAge })`). */
  clock: RouteCheckClock;
  onError: KoaErrorHandler;
}

const GUARD_STATE = Symbol('jwt-guard state');
/** A property, not a WeakMap: a WeakMap entry per request is GC work on every request. */
type Guarded = Context & { [GUARD_STATE]?: GuardState };

function sendError(error: JwtGuardError, ctx: Context): void {
  const response = errorResponse(error, ctx.response.get('vary'));
  ctx.status = response.status;
  ctx.set(response.headers);
  ctx.body = response.body;
}

/** A refusal, answered through `onError`; the request ends refused whatever the handler does. */
function refuseWith(onError: KoaErrorHandler, error: JwtGuardError, ctx: Context): void | Promise<void> {
  const { status, body } = ctx;
  return answerRefusal(error, () => onError(error, ctx), {
    answered: () => ctx.status !== status || ctx.body !== body || ctx.headerSent || ctx.respond === false || !ctx.writable,
    sendDefault: () => sendError(error, ctx),
    passOn: (thrown) => {
      throw thrown;
    },
  });
}

/** `withAddress`: the guard has detectors, which read `ctx.ip` (Koa's `app.proxy` decides what it is). */
function toGuardRequest(ctx: Context, withAddress = false): GuardRequest {
  // A body parser (koa-bodyparser, @koa/bodyparser) sets ctx.request.body; Koa's own types do not declare it.
  const { method, originalUrl: url, headers } = ctx;
  const rawHeaders = ctx.req.rawHeaders;
  const body = (ctx.request as { body?: unknown }).body;
  // Undefined on a plain-HTTP socket; read only for a certificate-bound token.
  const clientCertificate = clientCertificateOf(ctx.req.socket);
  return withAddress ? { method, url, headers, rawHeaders, body, clientCertificate, clientAddress: () => ctx.ip } : { method, url, headers, rawHeaders, body, clientCertificate };
}

function stateOf(ctx: Context): JwtGuardState {
  // Koa types ctx.state loosely; the guard is what fills it.
  const state: JwtGuardState = ctx.state;
  return state;
}

/**
 * Verifies the bearer token of every request: `app.use(jwtGuard(options))`. Sets `ctx.state.auth`;
 * refuses with 401/400/503 and RFC 6750 `WWW-Authenticate`. Options are checked here, at start-up.
 */
export function jwtGuard<Claims extends JWTPayload = JwtGuardClaims>(
  options: KoaGuardOptions<Claims>,
): JwtGuardMiddleware<Claims> {
  const guard = createGuard<Claims>(options, ['onError']);
  const guardState: GuardState = { refuse: guard.refuse, onError: options.onError ?? sendError, clock: guard.clock };
  const settle = (outcome: GuardOutcome<Claims>, ctx: Context, next: Next): unknown => {
    // The CSRF check ran: whatever answers, the answer depends on Origin and Sec-Fetch-Site.
    if (outcome.vary !== undefined) ctx.vary(outcome.vary);
    switch (outcome.type) {
      case 'authenticated':
        ctx.state.auth = outcome.auth;
        return next();
      case 'anonymous':
        if (outcome.error) ctx.state.authError = outcome.error;
        return next();
      case 'preflight':
        return next();
      case 'rejected':
        return refuseWith(guardState.onError, outcome.error, ctx);
    }
  };
  // Not an async function: when the outcome is synchronous, the only promise is the one next()
  // returns (koa-compose turns a synchronous throw into a rejection).
  const middleware: Middleware<JwtGuardState<Claims>> = (ctx, next) => {
    (ctx as Guarded)[GUARD_STATE] = guardState;
    const outcome = guard.authenticate(toGuardRequest(ctx, guard.readsClientAddress));
    if (outcome instanceof Promise) return outcome.then((settled) => settle(settled, ctx, next));
    return settle(outcome, ctx, next);
  };
  return Object.assign(middleware, { ready: guard.verifier.ready });
}

/** The guard middleware, with `ready()`: resolves once remote keys are usable (for readiness probes). */
export type JwtGuardMiddleware<Claims extends JWTPayload = JwtGuardClaims> = Middleware<JwtGuardState<Claims>> & {
  ready(): Promise<void>;
};

function routeCheck(requirement: Requirement): Middleware<JwtGuardState> {
  return async (ctx: Context, next: Next) => {
    const guardState = (ctx as Guarded)[GUARD_STATE];
    if (guardState === undefined) {
      throw notGuardedError('app.use(jwtGuard(options)) before the router.');
    }
    const { auth, authError } = stateOf(ctx);
    const error = requirement(auth, authError, guardState.clock);
    if (error === undefined) return next();
    return refuseWith(guardState.onError, guardState.refuse(toGuardRequest(ctx), error), ctx);
  };
}

/** Route middleware: `requireScope('a', 'b')` (all of), `requireAnyScope('a', 'b')` (any of), `requireClaim(name, expected)`, `requireAuthLevel({ acr, maxAge })` (RFC 9470 step-up). */
const routeChecks: RouteChecks<Middleware<JwtGuardState>> = defineRouteChecks(routeCheck);
export const requireScope: RouteChecks<Middleware<JwtGuardState>>['requireScope'] = routeChecks.requireScope;
export const requireAnyScope: RouteChecks<Middleware<JwtGuardState>>['requireAnyScope'] = routeChecks.requireAnyScope;
export const requireClaim: RouteChecks<Middleware<JwtGuardState>>['requireClaim'] = routeChecks.requireClaim;
export const requireAuthLevel: RouteChecks<Middleware<JwtGuardState>>['requireAuthLevel'] = routeChecks.requireAuthLevel;

/** The verified token of a request, typed with your claims; throws if the guard did not authenticate it. */
export function getAuth<Claims extends JWTPayload = JwtGuardClaims>(ctx: Context): AuthContext<Claims> {
  return requireAuth(stateOf(ctx).auth) as AuthContext<Claims>;
}

export {
  certificateFromHeader,
  certificateThumbprint,
  createVerifier,
  fromCookie,
  fromHeader,
  JwtGuardError,
  readCookie,
  secretFromEnv,
  type IssuerOptions,
  type KeyEvent,
  type CertificateSource,
  type MtlsOptions,
  type AuthContext,
  type AuthLevel,
  type CsrfOptions,
  type JwtGuardClaims,
  type ErrorCode,
  type GuardOptions,
  type JWTPayload,
  type RejectedEvent,
  type VerifiedEvent,
  type VerifierOptions,
} from '@jwt-guard/core';
