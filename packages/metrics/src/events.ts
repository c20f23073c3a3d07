import { callHook, pathOf, type JWTPayload, type KeyEvent, type RejectedEvent, type VerifiedEvent } from '@jwt-guard/core';

/** The path of a request URL, without query string or fragment: core's, the one the guard's events use. */
export { pathOf };

/**
 * What a detector of unusual activity reports (`token_shared`, `forgery_probe`), typed by the fields
 * the metrics read, so that core's fuller event (it has more fields) can be passed as it is.
 */
export interface DetectionEventLike {
  type: 'token_shared' | 'forgery_probe';
  /** The automatic response that was configured: `none` reports only. */
  action: 'none' | 'revoke_token' | 'revoke_subject' | 'block_client';
  /** True when that response was attempted and failed (e.g. the revocation store was unreachable). */
  actionFailed: boolean;
}

/**
 * The hooks an integration gives; spread them into the guard's options. `onVerified` / `onRejected`
 * are guard options; `onKeyEvent` is a verifier option (the key source's fetches and failures), which
 * every adapter's options take too. `onDetection` is the detectors' hook (the guard's `detect`); the
 * integrations give it in the spread, and also as a member of its own (`metrics.onDetection`,
 * {@link pinoDetectionHook}) for an app that combines hooks by hand.
 */
export interface GuardHooks {
  onVerified: (event: VerifiedEvent<JWTPayload>) => unknown;
  onRejected: (event: RejectedEvent) => unknown;
  onKeyEvent?: (event: KeyEvent) => unknown;
  onDetection?: (event: DetectionEventLike) => unknown;
}

/** The fields of one log line. Never the token, never a key; the URL without its query string. */
export interface VerificationLogFields {
  event: 'jwt_guard.verified' | 'jwt_guard.rejected';
  outcome: 'verified' | 'rejected' | 'anonymous';
  /** The reason code (`token_expired`, …) of a refusal. */
  reason?: string;
  status?: number;
  /** Developer-facing detail of a refusal. */
  hint?: string;
  iss?: string;
  sub?: string;
  jti?: string;
  kid?: string;
  alg?: string;
  /** Verification time in milliseconds, rounded to microseconds. */
  durationMs: number;
  method: string;
  /** The path only: a query string may carry secrets (`?access_token=`), so it is never logged. */
  path: string;
}


function stringClaim(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Log fields for a verified token: `iss`, `sub`, `jti`, `kid`, `alg`, latency. */
export function verifiedFields(event: VerifiedEvent<JWTPayload>): VerificationLogFields {
  const fields: VerificationLogFields = {
    event: 'jwt_guard.verified',
    outcome: 'verified',
    durationMs: round(event.durationMs),
    method: event.method,
    path: pathOf(event.url),
  };
  const { payload, header } = event;
  assign(fields, 'iss', stringClaim(payload.iss));
  assign(fields, 'sub', stringClaim(payload.sub));
  assign(fields, 'jti', stringClaim(payload.jti));
  assign(fields, 'kid', stringClaim(header.kid));
  assign(fields, 'alg', stringClaim(header.alg));
  return fields;
}

/**
 * Log fields for a refusal: the reason code, status, hint and latency. No claim is a field of its
 * own (a refused token may be unverified and attacker-controlled). The hint (core's explanations)
 * may quote a few values, each escaped and cut at 120 characters, never the token, a secret or a
 * key: from a token whose signature did not verify (or was not checked yet), only its header's
 * alg and kid (algorithm_not_allowed, key_not_found, signature_invalid) and, with `issuers`, its
 * iss (issuer_mismatch, read only to choose the verifier); the claims a claim check refused (iss,
 * aud, typ, exp/nbf/iat, scopes, a requireClaim claim) only after the signature held; jti and sub
 * only for token_revoked, a verified token.
 */
export function rejectedFields(event: RejectedEvent): VerificationLogFields {
  const fields: VerificationLogFields = {
    event: 'jwt_guard.rejected',
    outcome: event.passedAsAnonymous ? 'anonymous' : 'rejected',
    reason: event.code,
    status: event.status,
    durationMs: round(event.durationMs),
    method: event.method,
    path: pathOf(event.url),
  };
  assign(fields, 'hint', event.hint);
  return fields;
}

function assign<K extends keyof VerificationLogFields>(fields: VerificationLogFields, key: K, value: VerificationLogFields[K] | undefined): void {
  if (value !== undefined) fields[key] = value;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/**
 * Runs several sets of hooks for each event, in order; one that throws does not stop the others.
 * The result has `onKeyEvent` / `onDetection` only when one of the inputs has it, so that it can be
 * spread into any guard's options.
 *
 * @example
 * ```ts
 * app.use(jwtGuard({ ...options, ...combineHooks(pinoHooks(logger), prometheusMetrics().hooks, otelHooks()) }));
 * ```
 */
export function combineHooks(...hooks: ReadonlyArray<Partial<GuardHooks> | undefined>): GuardHooks {
  const present = hooks.filter((hook): hook is Partial<GuardHooks> => hook !== undefined);
  const combined: GuardHooks = {
    onVerified(event) {
      // One hook that throws or rejects does not stop the others (core's callHook ignores both); each is called as a method of its object.
      for (const hook of present) callHook(() => hook.onVerified?.(event), undefined);
    },
    onRejected(event) {
      for (const hook of present) callHook(() => hook.onRejected?.(event), undefined);
    },
  };
  if (present.some((hook) => hook.onKeyEvent !== undefined)) {
    combined.onKeyEvent = (event) => {
      for (const hook of present) callHook(() => hook.onKeyEvent?.(event), undefined);
    };
  }
  if (present.some((hook) => hook.onDetection !== undefined)) {
    combined.onDetection = (event) => {
      for (const hook of present) callHook(() => hook.onDetection?.(event), undefined);
    };
  }
  return combined;
}
