import type { NextFunction, Request, RequestHandler, Response } from 'express';
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

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The verified token, set by `jwtGuard()`; undefined on anonymous requests. */
      auth?: AuthContext;
      /** Why a present token was refused, when the request still went on as anonymous. */
      authError?: JwtGuardError;
    }
  }
}

/** Shapes a refusal yourself; by default jwt-guard answers with its JSON body and `WWW-Authenticate`. May be `async`. */
export type ExpressErrorHandler = (error: JwtGuardError, req: Request, res: Response, next: NextFunction) => unknown;

export interface ExpressGuardOptions<Claims extends JWTPayload = JwtGuardClaims> extends GuardOptions<Claims> {
  /**
   * Replaces the default refusal response, for the guard and the route checks. Answer the request,
   * or call `next(error)` to hand the refusal to your error middleware; what it throws, or the
   * rejection of its promise, goes to `next` too. It cannot let the request through: `next()`,
   * `next('route')` hand the refusal on instead, and if it returns (or its promise settles) having
   * sent nothing and called nothing, the guard sends its default refusal.
   */
  onError?: ExpressErrorHandler;
}

interface GuardState {
  refuse(request: GuardRequest, error: JwtGuardError): JwtGuardError;
  /** The guard's clock, for time checks on the route (`requireAuthLevel({ maxAge })`). */
  clock: RouteCheckClock;
  onError: ExpressErrorHandler;
}

/** Which guard authenticated a request, so route checks answer with its realm, hooks and `onError`. */
const GUARD_STATE = Symbol('jwt-guard state');
/** A property, not a WeakMap: a WeakMap entry per request is GC work on every request. */
type Guarded = Request & { [GUARD_STATE]?: GuardState };

function sendError(error: JwtGuardError, _req: Request, res: Response): void {
  const response = errorResponse(error, res.getHeader('vary'));
  res.statusCode = response.status;
  for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value);
  res.end(response.body);
}

/** A refusal, answered through `onError`; the request ends refused whatever the handler does. */
function refuseWith(onError: ExpressErrorHandler, error: JwtGuardError, req: Request, res: Response, next: NextFunction): void {
  let handedOn = false;
  const passOn = (value?: unknown): void => {
    if (handedOn) return;
    handedOn = true;
    // next(), next('route') and next('router') would let the request go on: the refusal goes instead.
    next(typeof value === 'object' && value !== null ? value : error);
  };
  void answerRefusal(error, () => onError(error, req, res, passOn), {
    answered: () => handedOn || res.headersSent || res.writableEnded,
    sendDefault: () => sendError(error, req, res),
    passOn,
  });
}

/** `withAddress`: the guard has detectors, which read `req.ip` (Express' `trust proxy` decides what it is). */
function toGuardRequest(req: Request, withAddress = false): GuardRequest {
  // req.body: set only when a body parser ran before the guard (read for csrf.token.fieldName).
  const { method, headers, rawHeaders } = req;
  const url = req.originalUrl ?? req.url;
  const body = req.body as unknown;
  // Undefined on a plain-HTTP socket; read only for a certificate-bound token.
  const clientCertificate = clientCertificateOf(req.socket);
  return withAddress ? { method, url, headers, rawHeaders, body, clientCertificate, clientAddress: () => req.ip } : { method, url, headers, rawHeaders, body, clientCertificate };
}

/**
 * Verifies the bearer token of every request: `app.use(jwtGuard(options))`. Sets `req.auth`;
 * refuses with 401/400/503 and RFC 6750 `WWW-Authenticate`. Options are checked here, at start-up.
 */
export function jwtGuard<Claims extends JWTPayload = JwtGuardClaims>(options: ExpressGuardOptions<Claims>): JwtGuardMiddleware {
  const guard = createGuard<Claims>(options, ['onError']);
  const state: GuardState = { refuse: guard.refuse, onError: options.onError ?? sendError, clock: guard.clock };
  const withAddress = guard.readsClientAddress;
  const settle = (outcome: GuardOutcome<Claims>, req: Request, res: Response, next: NextFunction): void => {
    // The CSRF check ran: whatever answers, the answer depends on Origin and Sec-Fetch-Site.
    if (outcome.vary !== undefined) res.vary(outcome.vary);
    switch (outcome.type) {
      case 'authenticated':
        req.auth = outcome.auth;
        return next();
      case 'anonymous':
        if (outcome.error) req.authError = outcome.error;
        return next();
      case 'preflight':
        return next();
      case 'rejected':
        return refuseWith(state.onError, outcome.error, req, res, next);
    }
  };
  const middleware: RequestHandler = (req, res, next) => {
    (req as Guarded)[GUARD_STATE] = state;
    const outcome = guard.authenticate(toGuardRequest(req, withAddress));
    // Synchronous unless a key fetch or an asynchronous revocation store is involved.
    if (outcome instanceof Promise) outcome.then((settled) => settle(settled, req, res, next), next);
    else settle(outcome, req, res, next);
  };
  return Object.assign(middleware, { ready: guard.verifier.ready });
}

/** The guard middleware, with `ready()`: resolves once remote keys are usable (for readiness probes). */
export type JwtGuardMiddleware = RequestHandler & { ready(): Promise<void> };

function routeCheck(requirement: Requirement): RequestHandler {
  return (req, res, next) => {
    const state = (req as Guarded)[GUARD_STATE];
    if (state === undefined) return next(notGuardedError('app.use(jwtGuard(options)) before the routes.'));
    const error = requirement(req.auth, req.authError, state.clock);
    if (error === undefined) return next();
    refuseWith(state.onError, state.refuse(toGuardRequest(req), error), req, res, next);
  };
}

/** Route middleware: `requireScope('a', 'b')` (all of), `requireAnyScope('a', 'b')` (any of), `requireClaim(name, expected)`, `requireAuthLevel({ acr, maxAge })` (RFC 9470 step-up). */
const routeChecks: RouteChecks<RequestHandler> = defineRouteChecks(routeCheck);
export const requireScope: RouteChecks<RequestHandler>['requireScope'] = routeChecks.requireScope;
export const requireAnyScope: RouteChecks<RequestHandler>['requireAnyScope'] = routeChecks.requireAnyScope;
export const requireClaim: RouteChecks<RequestHandler>['requireClaim'] = routeChecks.requireClaim;
export const requireAuthLevel: RouteChecks<RequestHandler>['requireAuthLevel'] = routeChecks.requireAuthLevel;

/** The verified token of a request, typed with your claims; throws if the guard did not authenticate it. */
export function getAuth<Claims extends JWTPayload = JwtGuardClaims>(req: Request): AuthContext<Claims> {
  return requireAuth(req.auth) as AuthContext<Claims>;
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
