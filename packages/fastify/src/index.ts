import fastifyPlugin from 'fastify-plugin';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, HookHandlerDoneFunction, onRequestHookHandler, preHandlerHookHandler } from 'fastify';
import {
  answerRefusal,
  appendVary,
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

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified token. Undefined on routes the guard does not cover and on anonymous requests; `getAuth()` narrows it. */
    auth: AuthContext | undefined;
    /** Why a present token was refused, when the request still went on as anonymous. */
    authError: JwtGuardError | undefined;
  }
  interface FastifyInstance {
    /**
     * The guard as a hook, for routes that opt in when `guardAllRoutes` is false: `onRequest:
     * app.authenticate`, or `preValidation: app.authenticate` with `csrf.token.fieldName` (the body is parsed by then).
     */
    authenticate: onRequestHookHandler;
    /** The guard's state: `ready()` resolves once remote keys are usable (for readiness probes). */
    jwtGuard: { ready(): Promise<void> };
  }
}

/** Shapes a refusal yourself; return the reply. */
export type FastifyErrorHandler = (error: JwtGuardError, request: FastifyRequest, reply: FastifyReply) => FastifyReply | Promise<FastifyReply>;

export interface FastifyGuardOptions<Claims extends JWTPayload = JwtGuardClaims> extends GuardOptions<Claims> {
  /** Default true: every route of this instance is guarded, like `app.use`. False: only routes with `onRequest: app.authenticate`. */
  guardAllRoutes?: boolean;
  /**
   * Replaces the default refusal response, for the guard and the route checks. Send a reply, or
   * throw (or reject) to hand the error to your error handler. It cannot let the request through:
   * if it returns (or its promise settles) having sent nothing, the guard sends its default refusal.
   */
  onError?: FastifyErrorHandler;
}

interface GuardState {
  refuse(request: GuardRequest, error: JwtGuardError): JwtGuardError;
  /** The guard's clock, for time checks on the route (`requireAuthLevel({ maxAge })`). */
  clock: RouteCheckClock;
  onError: FastifyErrorHandler;
}

/**
 * Which guard authenticated a request, so route checks answer with its realm, hooks and `onError`.
 * A request decoration, not a WeakMap: a WeakMap entry per request is GC work on every request.
 */
const GUARD_STATE = Symbol('jwt-guard state');
type GuardedRequest = FastifyRequest & { [GUARD_STATE]?: GuardState };

function sendError(error: JwtGuardError, _request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const response = errorResponse(error, reply.getHeader('vary'));
  return reply.code(response.status).headers(response.headers).send(response.body);
}

/**
 * A refusal, answered through `onError`; the request ends refused whatever the handler does. While
 * the handler runs, the reply is watched: `reply.sent` alone misses a send still passing through an
 * asynchronous onSend hook, and an async handler's `return reply` must not wait for a reply it
 * never sent.
 */
function refuseWith(
  onError: FastifyErrorHandler,
  error: JwtGuardError,
  request: FastifyRequest,
  reply: FastifyReply,
  passOn: (error: unknown) => void,
): void | Promise<void> {
  let sent = false;
  const send = reply.send.bind(reply);
  const then = reply.then.bind(reply);
  const watched: Pick<FastifyReply, 'send' | 'then'> = {
    send: (payload) => {
      sent = true;
      return send(payload);
    },
    then: (fulfilled, rejected) => (sent ? then(fulfilled, rejected) : fulfilled()),
  };
  Object.assign(reply, watched);
  const release = () => {
    Reflect.deleteProperty(reply, 'send');
    Reflect.deleteProperty(reply, 'then');
  };
  return answerRefusal(error, () => onError(error, request, reply), {
    answered: () => {
      release();
      return sent || reply.sent;
    },
    sendDefault: () => void sendError(error, request, reply),
    passOn: (thrown) => {
      release();
      passOn(thrown);
    },
  });
}

/** `withAddress`: the guard has detectors, which read `request.ip` (Fastify's `trustProxy` decides what it is). */
function toGuardRequest(request: FastifyRequest, withAddress = false): GuardRequest {
  const { method, url, headers, body } = request;
  const rawHeaders = request.raw.rawHeaders;
  // Undefined on a plain-HTTP socket; read only for a certificate-bound token.
  const clientCertificate = clientCertificateOf(request.raw.socket);
  return withAddress ? { method, url, headers, rawHeaders, body, clientCertificate, clientAddress: () => request.ip } : { method, url, headers, rawHeaders, body, clientCertificate };
}

const plugin: FastifyPluginAsync<FastifyGuardOptions> = async (fastify, options) => {
  const { guardAllRoutes = true, onError = sendError } = options;
  if (typeof guardAllRoutes !== 'boolean') throw new TypeError('guardAllRoutes must be true or false.');
  const guard = createGuard(options, ['onError', 'guardAllRoutes']);
  const guardState: GuardState = { refuse: guard.refuse, onError, clock: guard.clock };

  fastify.decorateRequest('auth', undefined);
  fastify.decorateRequest('authError', undefined);
  fastify.decorateRequest(GUARD_STATE, undefined);

  const settle = (outcome: GuardOutcome, request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    // The CSRF check ran: whatever answers, the answer depends on Origin and Sec-Fetch-Site.
    if (outcome.vary !== undefined) reply.header('vary', appendVary(reply.getHeader('vary'), outcome.vary));
    if (outcome.type === 'rejected') {
      // A refused request is answered, never handed on with done(): what onError throws goes to done(error).
      void refuseWith(onError, outcome.error, request, reply, (thrown) => done(thrown as Error));
      return;
    }
    if (outcome.type === 'authenticated') request.auth = outcome.auth;
    else if (outcome.type === 'anonymous') request.authError = outcome.error;
    done();
  };
  // A callback hook, not an async one: a synchronous outcome goes on without a promise per request.
  const authenticate: onRequestHookHandler = (request, reply, done) => {
    (request as GuardedRequest)[GUARD_STATE] = guardState;
    const outcome = guard.authenticate(toGuardRequest(request, guard.readsClientAddress));
    if (outcome instanceof Promise) outcome.then((settled) => settle(settled, request, reply, done), done);
    else settle(outcome, request, reply, done);
  };
  fastify.decorate('authenticate', authenticate);
  fastify.decorate('jwtGuard', { ready: guard.verifier.ready });
  // A CSRF token read from a form field needs the parsed body, which Fastify has only from preValidation on.
  if (guardAllRoutes) fastify.addHook(guard.readsBody ? 'preValidation' : 'onRequest', authenticate);
};

/**
 * Verifies the bearer token of every request: `app.register(jwtGuard, options)`. Sets `request.auth`;
 * refuses with 401/400/503 and RFC 6750 `WWW-Authenticate`. Options are checked at registration.
 */
export const jwtGuard = fastifyPlugin(plugin, { fastify: '5.x', name: '@jwt-guard/fastify' });

function routeCheck(requirement: Requirement): preHandlerHookHandler {
  return async (request, reply) => {
    const guardState = (request as GuardedRequest)[GUARD_STATE];
    if (guardState === undefined) {
      throw notGuardedError('register jwtGuard in this scope, or add onRequest: app.authenticate to the route.');
    }
    const error = requirement(request.auth, request.authError, guardState.clock);
    if (error === undefined) return;
    await refuseWith(guardState.onError, guardState.refuse(toGuardRequest(request), error), request, reply, (thrown) => {
      throw thrown;
    });
    // Resolving with the reply makes Fastify wait for it to be sent, then stop before the handler.
    return reply;
  };
}

/** `preHandler` hooks: `requireScope('a', 'b')` (all of), `requireAnyScope('a', 'b')` (any of), `requireClaim(name, expected)`, `requireAuthLevel({ acr, maxAge })` (RFC 9470 step-up). */
const routeChecks: RouteChecks<preHandlerHookHandler> = defineRouteChecks(routeCheck);
export const requireScope: RouteChecks<preHandlerHookHandler>['requireScope'] = routeChecks.requireScope;
export const requireAnyScope: RouteChecks<preHandlerHookHandler>['requireAnyScope'] = routeChecks.requireAnyScope;
export const requireClaim: RouteChecks<preHandlerHookHandler>['requireClaim'] = routeChecks.requireClaim;
export const requireAuthLevel: RouteChecks<preHandlerHookHandler>['requireAuthLevel'] = routeChecks.requireAuthLevel;

/** The verified token of a request, typed with your claims; throws if the guard did not authenticate it. */
export function getAuth<Claims extends JWTPayload = JwtGuardClaims>(request: FastifyRequest): AuthContext<Claims> {
  return requireAuth(request.auth) as AuthContext<Claims>;
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
