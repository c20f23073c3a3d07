import type { ErrorCode, JwtGuardError } from '@jwt-guard/core';
import type { DecodedToken } from './decode.js';
import { humanSpan, relative } from './time.js';

/** What the verifier was told, as far as an explanation needs it. */
export interface ExplainContext {
  decoded: DecodedToken;
  now: number;
  issuer?: string | readonly string[] | false;
  audience?: string | readonly string[] | false;
  algorithms?: readonly string[];
  typ?: string;
  requiredClaims?: readonly string[];
  maxTokenLength?: number;
  maxTokenAge?: number;
  keySource?: string;
}

const list = (value: string | readonly string[] | undefined): string =>
  value === undefined ? '(none)' : (typeof value === 'string' ? [value] : value).map((item) => JSON.stringify(item)).join(' or ');

const show = (value: unknown): string => (value === undefined ? 'absent' : JSON.stringify(value));

/**
 * One line that says which check failed and how to fix it, for every refusal code of the core.
 * Values shown come from the (untrusted) decoded token and from the options, never the token or a secret.
 */
export function explain(error: Pick<JwtGuardError, 'code' | 'hint' | 'message'>, context: ExplainContext): string {
  const { header = {}, payload = {} } = context.decoded;
  const now = context.now;
  const lines: Record<ErrorCode, () => string> = {
    token_missing: () => 'no token was given; pass it as the argument, or "-" to read it from stdin.',
    token_malformed: () =>
      `not a signed JWT (${context.decoded.problem ?? error.hint ?? 'the core could not parse it'}); send the access token itself — three base64url parts, not a JWE, opaque or quoted token.`,
    token_too_large: () =>
      `the token is ${context.decoded.length} characters, over maxTokenLength (${context.maxTokenLength ?? 8192}); put fewer claims in it, or raise maxTokenLength.`,
    token_expired: () => {
      const exp = payload.exp;
      if (context.maxTokenAge !== undefined && typeof payload.iat === 'number' && (typeof exp !== 'number' || exp > now)) {
        return `the token was issued ${relative(payload.iat, now)}, more than maxTokenAge (${humanSpan(context.maxTokenAge)}) ago; get a fresh token, or raise maxTokenAge.`;
      }
      return `the token expired ${typeof exp === 'number' ? relative(exp, now) : ''} (exp ${show(exp)}); get a new one (refresh it) — if clocks disagree by a few seconds, set clockTolerance.`;
    },
    token_not_yet_valid: () =>
      `the token is valid only from ${typeof payload.nbf === 'number' ? relative(payload.nbf, now) : show(payload.nbf)} (nbf); check the clocks of the issuer and of this machine, or set a small clockTolerance.`,
    signature_invalid: () =>
      `the signature does not verify with the configured key${header.kid === undefined ? '' : ` (kid ${show(header.kid)})`}; the token was signed with another key or secret, or was altered — configure the issuer's key (${context.keySource ?? 'key source'}) that signed it.`,
    algorithm_not_allowed: () =>
      `the token is signed with ${show(header.alg)} but only ${(context.algorithms ?? []).join(', ') || 'the inferred algorithms'} are allowed; configure a key of the issuer's type or add its alg to algorithms (never "none", never HS* with a public key).`,
    issuer_mismatch: () =>
      `the token's iss is ${show(payload.iss)} but ${list(context.issuer === false ? undefined : context.issuer)} is expected; set issuer to exactly the iss your identity provider puts in tokens (a trailing slash counts).`,
    audience_mismatch: () =>
      `the token's aud is ${show(payload.aud)} but ${list(context.audience === false ? undefined : context.audience)} is expected; request the token for this API (audience/resource parameter), or set audience to this API's identifier.`,
    claim_missing: () => {
      const missing = ['exp', ...(context.requiredClaims ?? []), ...(context.maxTokenAge === undefined ? [] : ['iat']), 'iss'].find((name) => payload[name] === undefined);
      return `the token has no ${missing === undefined ? 'required' : JSON.stringify(missing)} claim${missing === 'exp' ? ' (exp is required: tokens must expire)' : ''}; have the issuer include it, or drop it from requiredClaims.`;
    },
    claim_invalid: () => {
      const bad = ['exp', 'nbf', 'iat'].find((name) => payload[name] !== undefined && typeof payload[name] !== 'number');
      if (bad !== undefined) return `the ${bad} claim is ${show(payload[bad])}, not a number of seconds since 1970; fix the issuer to write NumericDate values.`;
      if (typeof payload.iat === 'number' && payload.iat > now) return `the token was issued ${relative(payload.iat, now)} (iat in the future); fix the issuer's clock, or set a small clockTolerance.`;
      return `a registered claim has the wrong type or value (${error.hint ?? error.message}); fix the issuer to write standard claims (iss, sub, aud strings; exp, nbf, iat numbers).`;
    },
    type_mismatch: () =>
      `the token's typ header is ${show(header.typ)} but ${JSON.stringify(context.typ ?? '')} is expected; issue access tokens with that typ (RFC 9068 "at+jwt"), or change typ.`,
    key_not_found: () =>
      `no configured key matches the token's kid ${show(header.kid)} and alg ${show(header.alg)}; the issuer may have rotated keys or the token comes from another environment — check that ${context.keySource ?? 'the key source'} holds that kid.`,
    token_revoked: () =>
      `the token is on the revocation denylist (jti ${show(payload.jti)}, sub ${show(payload.sub)}); get a new token — revocation is deliberate.`,
    revocation_unavailable: () => 'the revocation store did not answer; check its connection (the guard fails closed unless whenUnavailable is "fail-open").',
    insufficient_scope: () => `the token lacks a required scope (it has ${show(payload.scope ?? payload.scp)}); request the scope from the issuer.`,
    claim_mismatch: () => 'a requireClaim check failed; the token is valid but does not grant this.',
    invalid_request: () => `the request is malformed (${error.hint ?? error.message}); send exactly one "Authorization: Bearer <token>" header.`,
    key_source_unavailable: () =>
      `the keys could not be fetched (${error.hint ?? error.message}); check that ${context.keySource ?? 'the JWKS URL'} is reachable from here and serves a JWK Set.`,
    clock_invalid: () => 'the clock (currentDate) gave no valid time, so no token can be checked for expiry; give currentDate a valid Date, or remove it to use the system clock.',
    config_invalid: () => `${error.message.replace(/^jwt-guard configuration: /, '')} (fix the options, not the token).`,
  };
  const line = (lines[error.code] ?? (() => error.message))();
  return `${error.code}: ${line.replace(/\s+/g, ' ').trim()}`;
}
