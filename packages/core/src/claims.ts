import { JwtGuardError } from './errors.js';
import { explainRefusal, type RefusalFacts } from './explanations.js';
import type { JWTPayload, TokenHeader } from './options.js';

/** The claim checks of one verifier, fixed at start-up. */
export interface ClaimRules {
  issuer: readonly string[] | undefined;
  audience: readonly string[] | undefined;
  /** Claims that must be present (`exp` unless opted out, `requiredClaims`, `jti` if required). */
  requiredClaims: readonly string[];
  /** Seconds. */
  clockTolerance: number;
  /** Seconds; makes `iat` required. */
  maxTokenAge: number | undefined;
  /** Normalized expected `typ` (`application/at+jwt`), if any. */
  typ: string | undefined;
}

/** `at+jwt` and `application/at+jwt` are the same media type (RFC 7515 §4.1.9). */
export function normalizeTyp(value: string): string {
  const lower = value.toLowerCase();
  return lower.includes('/') ? lower : `application/${lower}`;
}

/**
 * What the hint of a claim refusal is told: the token's claim values and the rules. Built only
 * when a token is refused, so a valid token pays nothing for it.
 */
function factsOf(header: TokenHeader, payload: JWTPayload, rules: ClaimRules, now: number, claim?: string): RefusalFacts {
  return {
    header,
    payload,
    now,
    issuer: rules.issuer,
    audience: rules.audience,
    typ: rules.typ,
    requiredClaims: rules.requiredClaims,
    maxTokenAge: rules.maxTokenAge,
    clockTolerance: rules.clockTolerance,
    claim,
  };
}

function refuse(code: 'type_mismatch' | 'issuer_mismatch' | 'audience_mismatch' | 'token_not_yet_valid' | 'token_expired', message: string, facts: RefusalFacts): never {
  throw new JwtGuardError(code, message, { hint: explainRefusal(code, facts) });
}

function fail(code: 'claim_missing' | 'claim_invalid', claim: string, facts: RefusalFacts): never {
  const safe = claim.replace(/[^A-Za-z0-9_:.-]/g, '').slice(0, 64);
  throw new JwtGuardError(
    code,
    code === 'claim_missing' ? `The access token has no "${safe}" claim.` : `The access token's "${safe}" claim is invalid.`,
    { hint: explainRefusal(code, { ...facts, claim: safe }) },
  );
}

function numericDate(payload: JWTPayload, claim: 'exp' | 'nbf' | 'iat', facts: () => RefusalFacts): number | undefined {
  const value = payload[claim];
  if (value === undefined) return undefined;
  // RFC 7519 §2 NumericDate: a JSON number. Strings, booleans and the like are not dates.
  if (typeof value !== 'number' || !Number.isFinite(value)) fail('claim_invalid', claim, facts());
  return value;
}

/**
 * RFC 7519 §7.2 step 10 and RFC 8725 §3.8–3.11: the claims of a token whose signature holds.
 * Order: type, presence, issuer, audience, then time — the first failure is the verdict. `now` is
 * in seconds, with its fraction: a fractional `exp` or `nbf` is compared exactly.
 */
export function validateClaims(header: TokenHeader, payload: JWTPayload, rules: ClaimRules, now: number): void {
  const facts = (): RefusalFacts => factsOf(header, payload, rules, now);
  if (rules.typ !== undefined && (typeof header.typ !== 'string' || normalizeTyp(header.typ) !== rules.typ)) {
    refuse('type_mismatch', 'The access token has the wrong type (typ).', facts());
  }
  for (const claim of rules.requiredClaims) if (!Object.hasOwn(payload, claim)) fail('claim_missing', claim, facts());
  if (rules.issuer !== undefined) {
    if (!Object.hasOwn(payload, 'iss')) fail('claim_missing', 'iss', facts());
    if (typeof payload.iss !== 'string' || !rules.issuer.includes(payload.iss)) {
      refuse('issuer_mismatch', 'The access token was issued by an untrusted issuer.', facts());
    }
  }
  if (rules.audience !== undefined) {
    if (!Object.hasOwn(payload, 'aud')) fail('claim_missing', 'aud', facts());
    const aud: unknown = payload.aud;
    const expected = rules.audience;
    const matches = typeof aud === 'string' ? expected.includes(aud) : Array.isArray(aud) && expected.some((value) => aud.includes(value));
    if (!matches) refuse('audience_mismatch', 'The access token is not meant for this audience.', facts());
  }
  const tolerance = rules.clockTolerance;
  if (rules.maxTokenAge !== undefined && !Object.hasOwn(payload, 'iat')) fail('claim_missing', 'iat', facts());
  // A clock that cannot tell the time (an Invalid Date is NaN) would pass every comparison below.
  if (!Number.isFinite(now)) {
    throw new JwtGuardError('clock_invalid', "The server's clock cannot be read, so no token can be checked.", {
      hint: 'currentDate gave no valid time (an Invalid Date, not a Date, or it threw); fix currentDate or remove it',
    });
  }
  const iat = numericDate(payload, 'iat', facts);
  const nbf = numericDate(payload, 'nbf', facts);
  if (nbf !== undefined && nbf > now + tolerance) {
    refuse('token_not_yet_valid', 'The access token is not valid yet.', facts());
  }
  const exp = numericDate(payload, 'exp', facts);
  if (exp !== undefined && exp <= now - tolerance) refuse('token_expired', 'The access token has expired.', { ...facts(), maxTokenAge: undefined });
  // Issued in the future (beyond the tolerance): refused with or without maxTokenAge, the strict
  // reading of RFC 7519 §4.1.6 — such a token was minted by a clock that is wrong, or for later.
  if (iat !== undefined && iat > now + tolerance) fail('claim_invalid', 'iat', facts());
  if (rules.maxTokenAge !== undefined && iat !== undefined && now - iat - tolerance > rules.maxTokenAge) {
    refuse('token_expired', 'The access token is too old.', facts());
  }
}

/**
 * RFC 7515 §4.1.11: a `crit` header names extensions the verifier must understand; jwt-guard
 * implements none (and `b64: false`, RFC 7797, has no place in a JWT), so any `crit` is refused.
 */
export function checkHeader(header: TokenHeader): void {
  if (header.crit !== undefined) {
    throw new JwtGuardError('token_malformed', 'The access token is malformed.', { hint: 'the header has "crit"; no extension is supported' });
  }
  if (header.b64 !== undefined) {
    throw new JwtGuardError('token_malformed', 'The access token is malformed.', { hint: 'the header has "b64"; unencoded payloads are not JWTs' });
  }
}
