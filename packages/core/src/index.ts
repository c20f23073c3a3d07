export { createJwsVerifier, createVerifier, type JwsVerifier, type JwsVerifierOptions } from './verifier.js';
export { JwtGuardError, isJwtGuardError, ERROR_CODES, type ErrorCode } from './errors.js';
export { explainDiscoveryIssuerMismatch, explainRefusal, humanSpan, type RefusalFacts } from './explanations.js';
export type {
  Algorithm,
  JWK,
  JWTPayload,
  AuthContext,
  JwtGuardClaims,
  Duration,
  GetKey,
  IssuerOptions,
  JsonWebKeySet,
  KeySourceOptions,
  PublicKeyInput,
  ResolvedKey,
  ScopeClaim,
  SecretInput,
  TokenHeader,
  Verifier,
  VerifierOptions,
} from './options.js';
export {
  createGuard,
  type Guard,
  type GuardOptions,
  type GuardOutcome,
  type RejectedEvent,
  type VerifiedEvent,
} from './http/guard.js';
export { fromAuthorizationHeader, fromCookie, fromHeader, type TokenGetter } from './http/token-extraction.js';
export { readCookie } from './http/cookies.js';
export { type GuardRequest } from './http/request.js';
export { certificateFromHeader, certificateThumbprint, clientCertificateOf, type CertificateSource, type MtlsOptions } from './binding/certificate.js';
export { callHook } from './call-hook.js';
export { pathOf } from './http/guard-events.js';
export type { DetectionAction, DetectionEvent, DetectOptions, ForgeryProbeOptions, TokenSharedOptions } from './detect/options.js';
export { errorResponse, type ErrorResponse } from './http/response.js';
export { appendVary, type CsrfOptions } from './http/csrf.js';
export { checkCsrf, csrfPolicy, type CsrfPolicy } from './http/csrf.js';
export { checkCsrfFieldName, createCsrfToken, csrfTokenSigner, verifyCsrfToken, type CsrfTokenOptions, type CsrfTokenPolicy } from './http/csrf-token.js';
export { answerRefusal, type RefusalSeam } from './http/on-error.js';
export {
  authLevelRequirement,
  claimRequirement,
  defineRouteChecks,
  notGuardedError,
  requireAuth,
  scopeRequirement,
  type ClaimExpectation,
  type Requirement,
  type RouteCheckClock,
  type RouteChecks,
} from './http/authorization.js';
export type { AuthLevel } from './http/auth-level.js';

export type { KeyEvent } from './keys/key-events.js';
export { secretFromEnv, type SecretEncoding, type SecretFromEnvOptions } from './keys/secret-from-env.js';
export { memoryRevocationStore, RevocationCapacityError, type MemoryRevocationStore, type MemoryRevocationStoreOptions } from './revocation/memory-store.js';
export { revocationAdmin, type RevocationAdmin } from './revocation/admin.js';
export type { RevocationOptions, RevocationStatus, RevocationStore, RevocationSubject, RevocationUnavailableEvent } from './revocation/store.js';
export { durationToSeconds } from './duration.js';
// Documented helpers for jwt-guard's own packages (testing, session, cli) that check their options the way the
// verifier does: the "did you mean" of unknown names, the option-name check, the configuration error.
export { checkOptionNames, closestName } from './config.js';
export { configError } from './errors.js';
export { isCookieName } from './http/cookies.js';
// For `jwt-guard audit` (packages/cli): the verifier's own bounded fetch, Cache-Control reading,
// discovery URLs and JWK import, so that the audit judges keys and endpoints as the verifier does.
export { cacheControlMaxAge, describeError, fetchJson, HttpStatusError, type FetchedJson, type FetchJsonOptions } from './keys/fetch-json.js';
export { DiscoveryFetchError, discoveryUrls, fetchDiscoveryDocument } from './keys/discovery.js';
export { importJwk } from './keys/import.js';
export { keyFamilyOf, type KeyFamily } from './algorithms.js';
