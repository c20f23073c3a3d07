import { readClock } from '../config.js';
import { durationToSeconds } from '../duration.js';
import { configError, JwtGuardError } from '../errors.js';
import { explainRefusal } from '../explanations.js';
import type { AuthContext, JWTPayload, JwtGuardClaims, Verifier, VerifierOptions } from '../options.js';
import { createVerifier, VERIFIER_OPTION_NAMES } from '../verifier.js';
import { isCorsPreflight, type GuardRequest } from './request.js';
import { CSRF_VARY, csrfPolicyOf, csrfRefusal, needsCsrfCheck, type CsrfOptions } from './csrf.js';
import { csrfTokenRefusal, type CsrfTokenPolicy } from './csrf-token.js';
import { cacheLookupOf } from '../token-cache.js';
import { assertOnePlace, bearerCandidate, fromAuthorizationHeader, missingTokenFacts, placeOf, type TokenGetter } from './token-extraction.js';
import { callHook } from '../call-hook.js';
import { pathOf, type RejectedEvent, type VerifiedEvent } from './guard-events.js';
import { resolveDetect, type DetectionEvent, type DetectOptions } from '../detect/options.js';
import { createDetectors, type ClientAddress } from '../detect/detectors.js';
import type { RouteCheckClock } from './authorization.js';
import { createCertificateCheck, type MtlsOptions } from '../binding/certificate.js';

export type { RejectedEvent, VerifiedEvent } from './guard-events.js';

/** The options every adapter accepts: the verifier's, plus how to treat HTTP requests. */
export interface GuardOptions<Claims extends JWTPayload = JwtGuardClaims> extends VerifierOptions {
  /** Default true. When false, a request without a token goes through unauthenticated; a bad token is still refused. */
  credentialsRequired?: boolean;
  /** With `credentialsRequired: false`, also let a present but invalid token through as anonymous. Default false. */
  anonymousOnInvalidToken?: boolean;
  /**
   * Where the token comes from. Default: `Authorization: Bearer`. See `fromCookie`, `fromHeader`.
   * Whatever the getter, a request with credentials in more than one place (a Bearer header, an
   * `access_token` query parameter, the getter's own place) is `400 invalid_request` (RFC 6750 §2).
   */
  getToken?: TokenGetter;
  /** The `realm` announced in `WWW-Authenticate`. */
  realm?: string;
  /** Let CORS preflight requests (which never carry credentials) through unauthenticated. Default true. */
  allowPreflight?: boolean;
  /**
   * The CSRF defence, on by default whenever the token comes from a cookie (`fromCookie`, or a
   * custom getter whose token is a cookie's value): an unsafe request (anything but GET, HEAD,
   * OPTIONS) passes only with `Sec-Fetch-Site: same-origin` (or `same-site` with `allowSameSite`),
   * or, without Fetch Metadata, an `Origin` among `trustedOrigins`; otherwise `403
   * csrf_check_failed`, before the token is verified. `false` turns it off (reported once, as a
   * process warning). Tokens from a header are never checked: a browser does not attach those.
   * With `token: { secret }`, such a request must also carry the session's signed CSRF token
   * (`createCsrfToken`) in `x-csrf-token`, checked once the token is verified.
   */
  csrf?: boolean | CsrfOptions;
  /**
   * Called after each successful verification, e.g. for metrics. Not awaited, and it cannot change
   * the outcome: what it returns is ignored, and what it throws or its promise rejects with (an
   * `async` hook) is caught and ignored.
   */
  onVerified?: (event: VerifiedEvent<Claims>) => unknown;
  /**
   * Called for each refusal with its reason code, e.g. for logs. Not awaited, and it cannot change
   * the outcome: what it returns is ignored, and what it throws or its promise rejects with (an
   * `async` hook) is caught and ignored.
   */
  onRejected?: (event: RejectedEvent) => unknown;
  /**
   * Detectors of unusual activity: one token used from many client addresses (`tokenShared`), a
   * burst of forged tokens from one address (`forgeryProbe`). Each reports to `onDetection`, and
   * can answer by revoking the token or its subject, or by refusing the client for a while.
   */
  detect?: DetectOptions;
  /**
   * Called for each detection (never with the token). Not awaited; what it throws or its promise
   * rejects with is caught and ignored.
   */
  onDetection?: (event: DetectionEvent) => unknown;
  /**
   * Certificate-bound tokens (RFC 8705): a token with `cnf["x5t#S256"]` is always checked against
   * the request's client certificate, by default the TLS connection's; `certificate` reads it from
   * elsewhere (a TLS-terminating proxy's header). A missing or other certificate is `401 token_binding_invalid`.
   */
  mtls?: MtlsOptions;
}

/**
 * What the guard decided. `vary` (set once the CSRF check ran) names the request headers the
 * decision depended on: the adapter adds them to the response's `Vary`, whatever the route answers.
 */
export type GuardOutcome<Claims extends JWTPayload = JwtGuardClaims> =
  | { type: 'authenticated'; auth: AuthContext<Claims>; vary?: string }
  | { type: 'anonymous'; error: JwtGuardError | undefined; vary?: string }
  | { type: 'preflight'; vary?: undefined }
  | { type: 'rejected'; error: JwtGuardError; vary?: string };

export interface Guard<Claims extends JWTPayload = JwtGuardClaims> {
  readonly verifier: Verifier<Claims>;
  /**
   * Authenticates one request. Never throws or rejects: every failure is an outcome. The outcome
   * comes synchronously unless something must wait (a key fetch, an asynchronous revocation store),
   * so adapters hand a cached or locally verified token on without a promise.
   */
  authenticate: (request: GuardRequest) => GuardOutcome<Claims> | Promise<GuardOutcome<Claims>>;
  /**
   * Whether the guard reads the parsed body (`csrf.token.fieldName`): the adapter must then run it
   * after body parsing (Fastify: `preValidation` rather than `onRequest`).
   */
  readonly readsBody: boolean;
  /** Shapes a refusal made after authentication (scope, claim) like the guard's own, and reports it. */
  refuse: (request: GuardRequest, error: JwtGuardError) => JwtGuardError;
  /** Whether the guard reads `GuardRequest.clientAddress` (detectors on): adapters set it only then. */
  readonly readsClientAddress: boolean;
  /** The verifier's clock and `clockTolerance`, which adapters hand to route checks (`requireAuthLevel({ maxAge })`). */
  readonly clock: RouteCheckClock;
}

const PREFLIGHT: GuardOutcome<never> = Object.freeze({ type: 'preflight' });

const GUARD_OPTION_NAMES = ['credentialsRequired', 'anonymousOnInvalidToken', 'getToken', 'realm', 'allowPreflight', 'csrf', 'onVerified', 'onRejected', 'detect', 'onDetection', 'mtls'];

/**
 * The framework-neutral half of every adapter: token extraction, verification, and the decision
 * (authenticated, anonymous, refused). Adapters only translate requests and responses.
 */
export function createGuard<Claims extends JWTPayload = JwtGuardClaims>(
  options: GuardOptions<Claims>,
  extraOptionNames: readonly string[] = [],
): Guard<Claims> {
  if (typeof options !== 'object' || options === null) throw configError('jwtGuard(options) needs an options object.');
  const known = [...VERIFIER_OPTION_NAMES, ...GUARD_OPTION_NAMES, ...extraOptionNames];
  // Every name is checked, so a typo in a guard option fails as loudly as one in a verifier option.
  const verifier = createVerifier<Claims>({ ...options }, known);

  const credentialsRequired = options.credentialsRequired ?? true;
  const anonymousOnInvalidToken = options.anonymousOnInvalidToken ?? false;
  if (typeof credentialsRequired !== 'boolean') throw configError('credentialsRequired must be true or false.');
  if (typeof anonymousOnInvalidToken !== 'boolean') throw configError('anonymousOnInvalidToken must be true or false.');
  if (anonymousOnInvalidToken && credentialsRequired) {
    throw configError('anonymousOnInvalidToken only makes sense with credentialsRequired: false.');
  }
  const getToken = options.getToken ?? fromAuthorizationHeader;
  if (typeof getToken !== 'function') throw configError('getToken must be a function (request) => token | undefined.');
  const realm = options.realm;
  if (realm !== undefined && (typeof realm !== 'string' || /["\\\r\n]/.test(realm))) {
    throw configError('realm must be a string without quotes, backslashes or line breaks.');
  }
  const allowPreflight = options.allowPreflight ?? true;
  // The verifier's own reading of currentDate and clockTolerance (both checked by createVerifier above).
  const clock: RouteCheckClock = Object.freeze({
    now: readClock(options.currentDate),
    clockTolerance: options.clockTolerance === undefined ? 0 : durationToSeconds(options.clockTolerance, 'clockTolerance'),
  });
  // With the default Bearer header, a reused token is looked up in the cache before the header's
  // syntax is checked: the check reads every character, the lookup only the token's end.
  const cachedNow = getToken === fromAuthorizationHeader ? cacheLookupOf(verifier) : undefined;
  // The default getter checks the other places itself; any other is checked here.
  const place = placeOf(getToken);
  const otherPlaces = place.kind !== 'authorization';
  // Undefined for header getters: their requests do no CSRF work at all.
  const csrf = csrfPolicyOf(options.csrf, place);
  const csrfToken = csrf?.token;
  const { onVerified, onRejected, onDetection } = options;
  if (onDetection !== undefined && typeof onDetection !== 'function') throw configError('onDetection must be a function (event) => void.');
  const detect = resolveDetect(options.detect, options.revocation !== undefined);
  const detectors = detect === undefined ? undefined : createDetectors(detect, options.revocation?.store, onDetection);

  const certificateCheck = createCertificateCheck(options.mtls);

  // Hooks get a duration; without hooks no clock is read.
  const timed = onVerified !== undefined || onRejected !== undefined;

  function report(request: GuardRequest, error: JwtGuardError, started: number, passedAsAnonymous: boolean): void {
    if (onRejected === undefined) return;
    callHook(onRejected, {
      code: error.code,
      status: error.status,
      error,
      // Every refusal carries a hint: one made without its own gets the shared explanation of its code.
      hint: error.hint ?? explainRefusal(error.code, { detail: error.message }),
      passedAsAnonymous,
      durationMs: performance.now() - started,
      method: request.method,
      url: pathOf(request.url),
    });
  }

  /** `vary`: the CSRF check ran, so whatever follows depends on its headers. */
  function refusal(request: GuardRequest, error: JwtGuardError, started: number, vary?: string): GuardOutcome<Claims> {
    const shaped = error.withRealm(realm).withVary(vary);
    const passes = error.code === 'token_missing' ? !credentialsRequired : anonymousOnInvalidToken && error.status === 401;
    // A missing token is not worth a log line when anonymous access is allowed.
    if (!(passes && error.code === 'token_missing')) report(request, shaped, started, passes);
    const outcome: GuardOutcome<Claims> = passes ? { type: 'anonymous', error: error.code === 'token_missing' ? undefined : shaped } : { type: 'rejected', error: shaped };
    return vary === undefined ? outcome : { ...outcome, vary };
  }

  /** The refusal of a token that failed verification: the forgery-probe detector counts it. */
  function tokenRefusal(request: GuardRequest, error: JwtGuardError, started: number, vary: string | undefined, address: ClientAddress | undefined): GuardOutcome<Claims> {
    detectors?.afterRefused(address, request, error.code);
    return refusal(request, error, started, vary);
  }

  /** After verification, for a request the CSRF check applied to: the session-bound token, then success. */
  function boundSuccess(request: GuardRequest, auth: AuthContext<Claims>, started: number, vary: string, policy: CsrfTokenPolicy, address: ClientAddress | undefined): GuardOutcome<Claims> {
    const hint = csrfTokenRefusal(request, auth.payload, policy);
    return hint === undefined ? success(request, auth, started, vary, address) : refusal(request, csrfError(hint), started, vary);
  }

  function success(request: GuardRequest, auth: AuthContext<Claims>, started: number, vary: string | undefined, address: ClientAddress | undefined): GuardOutcome<Claims> {
    // Here, not in the verifier: a cached token is bound to its certificate on every request too.
    const unbound = certificateCheck(request, auth.payload);
    if (unbound !== undefined) return refusal(request, unbound, started, vary);
    if (detectors !== undefined) {
      // A use that trips a detector (or of a token a detector revoked) is refused like a revoked token or a blocked client.
      const tripped = detectors.afterVerified(address, request, auth);
      if (tripped !== undefined) return refusal(request, tripped, started, vary);
    }
    if (onVerified !== undefined) {
      callHook(onVerified, {
        header: auth.header,
        payload: auth.payload,
        scopes: auth.scopes,
        durationMs: performance.now() - started,
        method: request.method,
        url: pathOf(request.url),
      });
    }
    return vary === undefined ? { type: 'authenticated', auth } : { type: 'authenticated', auth, vary };
  }

  function authenticate(request: GuardRequest): GuardOutcome<Claims> | Promise<GuardOutcome<Claims>> {
    if (allowPreflight && isCorsPreflight(request)) return PREFLIGHT;
    const started = timed ? performance.now() : 0;
    // Read before verification only when a detector can block; otherwise only once a detector needs it.
    let address: ClientAddress | undefined;
    if (detectors?.blocks === true) {
      address = detectors.address(request);
      const blocked = detectors.beforeVerification(address);
      if (blocked !== undefined) return refusal(request, blocked, started);
    }
    let result: AuthContext<Claims> | Promise<AuthContext<Claims>> | undefined;
    let vary: string | undefined;
    // Set only when the CSRF check applied and csrf.token is configured.
    let tokenPolicy: CsrfTokenPolicy | undefined;
    try {
      const candidate = cachedNow === undefined ? undefined : bearerCandidate(request);
      if (candidate !== undefined) result = cachedNow!(candidate);
      if (result === undefined) {
        const token = getToken(request);
        if (otherPlaces) assertOnePlace(request, place, token);
        if (token === undefined) {
          const hint = onRejected === undefined ? undefined : explainRefusal('token_missing', missingTokenFacts(request, place));
          return refusal(request, new JwtGuardError('token_missing', 'No access token was provided.', { hint }), started);
        }
        // Before verification: a forged cookie token sent cross-site gets the CSRF refusal, cheaply.
        if (csrf !== undefined && needsCsrfCheck(request, place, token)) {
          vary = CSRF_VARY;
          const facts = csrfRefusal(request, csrf);
          if (facts !== undefined) return refusal(request, csrfError(explainRefusal('csrf_check_failed', { csrf: facts })), started, vary);
          tokenPolicy = csrfToken;
        }
        result = verifier.verifyNow(token);
      }
    } catch (error) {
      return tokenRefusal(request, asGuardError(error), started, vary, address);
    }
    if (tokenPolicy !== undefined) {
      const policy = tokenPolicy;
      const checked = vary!;
      if (!(result instanceof Promise)) return boundSuccess(request, result, started, checked, policy, address);
      return result.then(
        (auth) => boundSuccess(request, auth, started, checked, policy, address),
        (error: unknown) => tokenRefusal(request, asGuardError(error), started, vary, address),
      );
    }
    if (!(result instanceof Promise)) return success(request, result, started, vary, address);
    return result.then(
      (auth) => success(request, auth, started, vary, address),
      (error: unknown) => tokenRefusal(request, asGuardError(error), started, vary, address),
    );
  }

  return {
    verifier,
    authenticate,
    readsBody: csrfToken?.fieldName !== undefined,
    readsClientAddress: detectors !== undefined,
    clock,
    refuse(request, error) {
      const shaped = error.withRealm(realm);
      report(request, shaped, performance.now(), false);
      return shaped;
    },
  };
}

function csrfError(hint: string): JwtGuardError {
  return new JwtGuardError('csrf_check_failed', 'The request was refused as a possible cross-site request forgery.', { hint });
}

/** Anything unexpected becomes a 401 with a generic message: the client never sees internals. */
function asGuardError(error: unknown): JwtGuardError {
  if (error instanceof JwtGuardError) return error;
  return new JwtGuardError('token_malformed', 'The access token is malformed.', {
    hint: `unexpected error: ${error instanceof Error ? error.message : String(error)}`,
    cause: error,
  });
}
