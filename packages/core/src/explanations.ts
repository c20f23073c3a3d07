import type { ErrorCode } from './errors.js';
import type { CsrfFacts } from './http/csrf.js';

/**
 * What is known about one refusal, as far as explaining it needs. Every field is optional: an
 * explanation says what it can with what it is given. Header and payload are the token's own
 * (possibly unverified) values; only claim values are shown from them, never the token or a key.
 */
export interface RefusalFacts {
  /** The token's header, decoded (trusted or not). */
  header?: Readonly<Record<string, unknown>> | undefined;
  /** The token's claims, decoded (trusted or not). */
  payload?: Readonly<Record<string, unknown>> | undefined;
  /** The verifier's time, in seconds since 1970. */
  now?: number | undefined;
  /** What the verifier expects. */
  issuer?: string | readonly string[] | false | undefined;
  audience?: string | readonly string[] | false | undefined;
  algorithms?: readonly string[] | undefined;
  typ?: string | undefined;
  requiredClaims?: readonly string[] | undefined;
  maxTokenLength?: number | undefined;
  /** Seconds. */
  maxTokenAge?: number | undefined;
  /** Seconds. */
  clockTolerance?: number | undefined;
  /** The claim a `claim_missing` / `claim_invalid` is about, when the caller knows it. */
  claim?: string | undefined;
  /** The token's length in characters (never the token). */
  tokenLength?: number | undefined;
  /** Where the keys come from, in words: "the JWKS at https://…". */
  keySource?: string | undefined;
  /** A `signature_invalid`: a configured key carried the token's `kid` (so the kid matched, the bytes did not). */
  kidMatched?: boolean | undefined;
  /** Where the guard reads the token, in words ("the session cookie"), for a `token_missing`. */
  tokenPlace?: string | undefined;
  /** What kind of place `tokenPlace` is: a cookie or a header other than Authorization gets its own advice. */
  tokenPlaceKind?: 'authorization' | 'cookie' | 'header' | 'custom' | undefined;
  /** A `token_missing` while an `Authorization: Bearer` header was sent (the getter reads elsewhere). */
  bearerHeaderPresent?: boolean | undefined;
  /** A `token_missing` while the Authorization header names another scheme (`Basic`, `DPoP`…). */
  otherScheme?: string | undefined;
  /** A `token_missing` of the command line rather than of a request. */
  commandLine?: boolean | undefined;
  /** A `key_not_found` for which the refetch of a JWKS was skipped by jwksCooldown: seconds since the last such fetch, the cooldown, and until the next. */
  refetchSkipped?: { agoSeconds: number; cooldownSeconds: number; inSeconds: number } | undefined;
  /** Scopes a route requires, and whether all or any of them. */
  requiredScopes?: readonly string[] | undefined;
  scopeMode?: 'all' | 'any' | undefined;
  /** The token's scopes, as read by the verifier. */
  grantedScopes?: readonly string[] | undefined;
  /** An `insufficient_user_authentication`: the `acr` values the route accepts. */
  acrValues?: readonly string[] | undefined;
  /** An `insufficient_user_authentication`: seconds the route allows since the user authenticated. */
  maxAge?: number | undefined;
  /** A `claim_mismatch`: what the route requires, in words. */
  expected?: string | undefined;
  /** The refusal's own detail (a lower-level hint or message), for codes whose cause it names. */
  detail?: string | undefined;
  /** A `csrf_check_failed`: which header decided and what it held. */
  csrf?: CsrfFacts | undefined;
}

/** A hint is one log line: a value from a token is cut short and escaped, so it cannot forge another. */
const MAX_VALUE = 120;

/** A value as a hint shows it: JSON, non-printable and non-ASCII characters escaped, cut at 120 characters. */
export function showValue(value: unknown): string {
  if (value === undefined) return 'absent';
  let text: string;
  try {
    // JSON.stringify gives undefined for a function or a symbol: neither comes from a token.
    text = JSON.stringify(value) ?? typeof value;
  } catch {
    text = '(unprintable)';
  }
  text = text.replace(/[^\x20-\x7e]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE)}…` : text;
}

const list = (value: string | readonly string[] | false | undefined): string =>
  value === undefined || value === false ? '(none)' : (typeof value === 'string' ? [value] : value).map(showValue).join(' or ');

/**
 * `4 min`, `2 h`, `3 d`: a span in seconds, rounded to the nearest of its largest unit (a token
 * made with a 5-minute `nbf` and read a second later shows `5 min`, not `4 min`).
 */
export function humanSpan(seconds: number): string {
  const s = Math.abs(Math.round(seconds));
  if (s < 60) return `${s} s`;
  const minutes = Math.round(s / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.round(s / 3600);
  if (hours < 24) return `${hours} h`;
  return `${Math.round(s / 86400)} d`;
}

/** `4 min from now` (never "from in 4 min"); without a time to compare with, the NumericDate itself. */
function validFrom(at: unknown, now: number | undefined): string {
  if (typeof at !== 'number' || now === undefined || !Number.isFinite(now) || at - now < 1) return relative(at, now);
  return `${humanSpan(at - now)} from now`;
}

/** `in 4 min` or `2 h ago`; without a time to compare with, the NumericDate itself. */
function relative(at: unknown, now: number | undefined): string {
  if (typeof at !== 'number' || now === undefined || !Number.isFinite(now)) return showValue(at);
  const delta = at - now;
  if (Math.abs(delta) < 1) return 'now';
  return delta > 0 ? `in ${humanSpan(delta)}` : `${humanSpan(delta)} ago`;
}

/** What a string secret is to the verifier: the line an HS* signature failure most often needs. */
const SECRET_ENCODING =
  "with a secret, both sides must use the same bytes: a string secret's UTF-8 bytes are the key, so a base64url, base64 or hex secret must be decoded first (secretFromEnv(name, { encoding: 'base64url' })) — or given to both sides as the same string";

type Explainer = (facts: RefusalFacts) => string;

const EXPLANATIONS: Record<ErrorCode, Explainer> = {
  token_missing: (f) => {
    if (f.commandLine) return 'no token was given; pass it as the argument, or "-" to read it from stdin.';
    if (f.bearerHeaderPresent) {
      return `the token is in the Authorization header but getToken reads ${f.tokenPlace ?? 'another place'}; send it there, or drop getToken to read the Bearer header.`;
    }
    if (f.otherScheme !== undefined) {
      return `the Authorization header uses the ${showValue(f.otherScheme)} scheme, not Bearer; send "Authorization: Bearer <token>".`;
    }
    const optional = ' (or use credentialsRequired: false for optional authentication).';
    // A getter that reads a cookie or a header ignores a Bearer header: advise that place, not Bearer.
    if (f.tokenPlaceKind === 'cookie' && f.tokenPlace !== undefined) {
      return `no token was found in ${f.tokenPlace}; send the token in ${f.tokenPlace} — check the cookie's Path, Domain, SameSite and Secure attributes (the browser sends it only where they allow) and the browsers' ~4 KiB cookie size limit${optional}`;
    }
    if (f.tokenPlaceKind === 'header' && f.tokenPlace !== undefined) {
      return `no token was found in ${f.tokenPlace}; send the token in ${f.tokenPlace}, or set getToken to where the client puts it${optional}`;
    }
    return `no token was found in ${f.tokenPlace ?? 'the Authorization header'}; send "Authorization: Bearer <token>"${f.tokenPlace === undefined ? '' : ' or set getToken to where the client puts it'}${optional}`;
  },
  token_malformed: (f) =>
    `not a signed JWT (${f.detail ?? 'it could not be parsed'}); send the access token itself — three base64url parts, not a JWE, opaque or quoted token.`,
  token_too_large: (f) =>
    `the token is ${f.tokenLength === undefined ? 'longer than' : `${f.tokenLength} characters, over`} maxTokenLength (${f.maxTokenLength ?? 8192}); put fewer claims in it, or raise maxTokenLength.`,
  token_expired: (f) => {
    const payload = f.payload ?? {};
    const exp = payload.exp;
    const now = f.now;
    const tooOld = f.maxTokenAge !== undefined && typeof payload.iat === 'number' && (typeof exp !== 'number' || now === undefined || exp > now - (f.clockTolerance ?? 0));
    if (tooOld) {
      return `the token was issued ${relative(payload.iat, now)}, more than maxTokenAge (${humanSpan(f.maxTokenAge!)}) ago; get a fresh token, or raise maxTokenAge.`;
    }
    return `the token expired ${typeof exp === 'number' && now !== undefined ? `${relative(exp, now)} ` : ''}(exp ${showValue(exp)}); get a new one (refresh it) — if clocks disagree by a few seconds, set clockTolerance.`;
  },
  token_not_yet_valid: (f) =>
    `the token is not valid until ${validFrom(f.payload?.nbf, f.now)} (nbf); check the clocks of the issuer and of this machine, or set a small clockTolerance.`,
  signature_invalid: (f) => {
    const kid = f.header?.kid;
    const alg = f.header?.alg;
    const hmac = typeof alg === 'string' && alg.startsWith('HS');
    const matched = f.kidMatched === true && kid !== undefined ? `the key with kid ${showValue(kid)} was found, but its bytes are not the signer's` : undefined;
    const head = `the signature does not verify with the configured key${kid === undefined ? '' : ` (kid ${showValue(kid)})`}`;
    const cause = matched ?? 'the token was signed with another key or secret, or was altered';
    const fix = hmac ? SECRET_ENCODING : `configure the issuer's key (${f.keySource ?? 'key source'}) that signed it`;
    return `${head}; ${cause} — ${fix}.`;
  },
  algorithm_not_allowed: (f) =>
    `the token is signed with ${showValue(f.header?.alg)} but only ${(f.algorithms ?? []).join(', ') || 'the inferred algorithms'} are allowed; configure a key of the issuer's type or add its alg to algorithms (never "none", never HS* with a public key).`,
  issuer_mismatch: (f) =>
    `the token's iss is ${showValue(f.payload?.iss)} but ${list(f.issuer)} is expected; set issuer to exactly the iss your identity provider puts in tokens (a trailing slash counts).`,
  audience_mismatch: (f) =>
    `the token's aud is ${showValue(f.payload?.aud)} but ${list(f.audience)} is expected; request the token for this API (audience/resource parameter), or set audience to this API's identifier.`,
  claim_missing: (f) => {
    const payload = f.payload ?? {};
    const missing = f.claim ?? ['exp', ...(f.requiredClaims ?? []), ...(f.maxTokenAge === undefined ? [] : ['iat']), 'iss'].find((name) => payload[name] === undefined);
    const why = missing === 'exp' ? ' (exp is required: tokens must expire)' : missing === 'iat' && f.maxTokenAge !== undefined ? ' (maxTokenAge needs iat)' : '';
    return `the token has no ${missing === undefined ? 'required' : showValue(missing)} claim${why}; have the issuer include it, or drop it from requiredClaims.`;
  },
  claim_invalid: (f) => {
    const payload = f.payload ?? {};
    const bad = f.claim ?? ['exp', 'nbf', 'iat'].find((name) => payload[name] !== undefined && typeof payload[name] !== 'number');
    if (bad !== undefined && payload[bad] !== undefined && typeof payload[bad] !== 'number') {
      return `the ${bad} claim is ${showValue(payload[bad])}, not a number of seconds since 1970; fix the issuer to write NumericDate values.`;
    }
    if (typeof payload.iat === 'number' && f.now !== undefined && payload.iat > f.now) {
      return `the token was issued ${relative(payload.iat, f.now)} (iat in the future); fix the issuer's clock, or set a small clockTolerance.`;
    }
    return `a registered claim has the wrong type or value (${f.detail ?? bad ?? 'see the error code'}); fix the issuer to write standard claims (iss, sub, aud strings; exp, nbf, iat numbers).`;
  },
  type_mismatch: (f) => {
    // "at+jwt" and "application/at+jwt" are one media type (RFC 7515 §4.1.9): shown in the short form.
    const head = `the token's typ header is ${showValue(f.header?.typ)} but ${showValue((f.typ ?? '').replace(/^application\//i, ''))} is expected`;
    // The token is a proper RFC 9068 access token: it is the option that asks for something else.
    const accessToken = typeof f.header?.typ === 'string' && /^(application\/)?at\+jwt$/i.test(f.header.typ);
    return accessToken ? `${head}; set the option typ to "at+jwt" (RFC 9068 access tokens), or drop it.` : `${head}; issue access tokens with that typ (RFC 9068 "at+jwt"), or change typ.`;
  },
  key_not_found: (f) => {
    if (f.header !== undefined && f.header.kid === undefined) {
      return `the token has no kid and no configured key verifies its alg ${showValue(f.header.alg)}; configure a key of that type (${f.keySource ?? 'the key source'}), or have the issuer put a kid in its tokens.`;
    }
    const head = `no configured key matches the token's kid ${showValue(f.header?.kid)} and alg ${showValue(f.header?.alg)}`;
    const skipped = f.refetchSkipped;
    if (skipped !== undefined) {
      // The key source was not asked again: saying it may lack the kid would send the reader to the wrong place.
      return `${head}; a refetch for unknown kid was skipped: the last fetch was ${skipped.agoSeconds} s ago (jwksCooldown ${skipped.cooldownSeconds} s); the kid will be looked up again in ${skipped.inSeconds} s.`;
    }
    return `${head}; the issuer may have rotated keys or the token comes from another environment — check that ${f.keySource ?? 'the key source'} holds that kid.`;
  },
  token_revoked: (f) =>
    `the token is on the revocation denylist (jti ${showValue(f.payload?.jti)}, sub ${showValue(f.payload?.sub)}); get a new token — revocation is deliberate.`,
  token_binding_invalid: (f) =>
    `${f.detail ?? 'the token is bound (cnf) to a key or certificate the request did not prove'}; a certificate-bound token (RFC 8705) is good only over a connection made with the client certificate it was issued to.`,
  revocation_unavailable: (f) =>
    `the revocation store did not answer${f.detail === undefined ? '' : ` (${f.detail})`}; check its connection (the guard fails closed unless whenUnavailable is "fail-open").`,
  insufficient_scope: (f) => {
    const required = f.requiredScopes === undefined ? 'a required scope' : `${f.scopeMode === 'any' ? 'any' : 'all'} of ${showValue(f.requiredScopes.join(' '))}`;
    const scopes = f.grantedScopes === undefined ? f.payload?.scope ?? f.payload?.scp : f.grantedScopes.join(' ');
    const none = scopes === undefined || scopes === '' || (Array.isArray(scopes) && scopes.length === 0);
    const granted = none ? 'no scopes' : showValue(scopes);
    return `the route requires ${required} but the token has ${granted}; request the scope from the issuer.`;
  },
  claim_mismatch: (f) =>
    `a requireClaim check failed${f.claim === undefined ? '' : `: the token's ${showValue(f.claim)} is ${showValue(f.payload?.[f.claim])}`}${f.expected === undefined ? '' : ` but ${f.expected} is required`}; the token is valid but does not grant this.`,
  insufficient_user_authentication: (f) => explainAuthLevel(f),
  csrf_check_failed: (f) => explainCsrf(f.csrf),
  client_blocked: (f) =>
    `the client's address is refused for a while by a detector (${f.detail ?? 'detect'}); find out why it tripped (onDetection), or lower respond to 'none' if honest clients trip it.`,
  detection_unavailable: (f) =>
    `detect.clientAddress gave no address${f.detail === undefined ? '' : ` (${f.detail})`}, so the guard cannot tell whether the client is blocked; fix the resolver (it must return the address as a string).`,
  invalid_request: (f) => `the request is malformed (${f.detail ?? 'see the error description'}); send exactly one "Authorization: Bearer <token>" header, and the token in one place only.`,
  key_source_unavailable: (f) =>
    `the keys could not be fetched (${f.detail ?? 'no usable key'}); check that ${f.keySource ?? 'the JWKS URL'} is reachable from here and serves a JWK Set.`,
  clock_invalid: () =>
    'the clock (currentDate) gave no valid time, so no token can be checked for expiry; give currentDate a valid Date, or remove it to use the system clock.',
  config_invalid: (f) => `${(f.detail ?? 'the options cannot be made safe').replace(/^jwt-guard configuration: /, '')} (fix the options, not the token).`,
};

/**
 * A `requireAuthLevel` refusal: which of `acr` and `auth_time` fell short, with the token's values
 * (claim values only, escaped), and what the client does — send the user to authenticate again.
 */
function explainAuthLevel(f: RefusalFacts): string {
  const payload = f.payload ?? {};
  const reasons: string[] = [];
  const acr = payload.acr;
  if (f.acrValues !== undefined && !(typeof acr === 'string' && f.acrValues.includes(acr))) {
    reasons.push(`the token's acr is ${showValue(acr)} but ${f.acrValues.map(showValue).join(' or ')} is required`);
  }
  const authTime = payload.auth_time;
  if (f.maxAge !== undefined) {
    const tolerance = f.clockTolerance ?? 0;
    if (typeof authTime !== 'number' || !Number.isFinite(authTime)) {
      reasons.push(`the token's auth_time is ${showValue(authTime)}, not the time the user authenticated (maxAge needs it)`);
    } else if (f.now !== undefined && authTime > f.now + tolerance) {
      reasons.push(`the token's auth_time is ${relative(authTime, f.now)} (in the future; check the issuer's clock, or set a small clockTolerance)`);
    } else if (f.now === undefined || f.now - authTime - tolerance > f.maxAge) {
      reasons.push(`the user authenticated ${relative(authTime, f.now)}, more than maxAge (${humanSpan(f.maxAge)}) ago`);
    }
  }
  const what = reasons.length === 0 ? 'the user authentication behind the token is not what the route requires' : reasons.join(', and ');
  return `${what}; the client should send the user to the authorization server again with the challenge's acr_values / max_age (RFC 9470).`;
}

/** A CSRF refusal: the header that decided and what it held, and what a legitimate client does instead. */
function explainCsrf(f: CsrfFacts | undefined): string {
  const request = `a ${f?.method ?? 'POST'} with the token in a cookie`;
  if (f?.header === 'Sec-Fetch-Site') {
    const why = f.value === 'same-site' ? 'a sibling subdomain sent it; set csrf: { allowSameSite: true } if every subdomain of this site is trusted'
      : f.value === 'none' ? 'the user started it outside any page (address bar, bookmark), which only GET, HEAD and OPTIONS may be'
      : 'a page of another site sent it; a client of another site should send the token in the Authorization header';
    return `Sec-Fetch-Site was ${showValue(f.value)} on ${request}: ${why}.`;
  }
  if (f?.header === 'Origin') {
    const ignored = f.ignoredSecFetchSite === undefined ? 'no Sec-Fetch-Site was sent' : `Sec-Fetch-Site ${showValue(f.ignoredSecFetchSite)} is unknown and was ignored`;
    const trusted = f.trustedOrigins.length === 0 ? 'none configured' : f.trustedOrigins.map(showValue).join(', ');
    return `${ignored}, and Origin ${showValue(f.value)} on ${request} is not among csrf.trustedOrigins (${trusted}); add this app's origin there exactly as the browser sends it.`;
  }
  const neither = f?.ignoredSecFetchSite === undefined ? 'neither Sec-Fetch-Site nor Origin was sent' : `Sec-Fetch-Site ${showValue(f.ignoredSecFetchSite)} is unknown and was ignored, and no Origin was sent`;
  return `${neither} on ${request}: a non-browser client should send the token in the Authorization header, not a cookie.`;
}

/**
 * Discovery found a document that names another issuer (OpenID Connect Discovery §4.3): the one
 * wording for a start-up failure, a request's hint and the CLI. `found` comes from the document:
 * escaped and cut short like a token's values.
 */
export function explainDiscoveryIssuerMismatch(found: unknown, expected: string, url?: string): string {
  const where = url === undefined ? 'the discovery document' : `the discovery document at ${url}`;
  if (typeof found !== 'string') {
    return `${where} has no issuer string (issuer ${showValue(found)}), so it cannot be checked against ${showValue(expected)}; check that issuer is the identity provider's issuer URL.`;
  }
  return `${where} names the issuer ${showValue(found)}, not ${showValue(expected)}; set issuer to exactly ${showValue(found)} (copy it from the discovery document; a trailing slash counts).`;
}

/**
 * One line that says which check failed, what was expected and what was received, and how to fix
 * it — for every refusal code. The one set of explanations: the guard's `onRejected` hints and the
 * CLI's `inspect` both use it. Values shown are claim values and options (escaped, cut short),
 * never the token, a secret or key material. The line does not start with the code.
 */
export function explainRefusal(code: ErrorCode, facts: RefusalFacts = {}): string {
  // The texts above are one line each and values are escaped by showValue: only a detail (a lower
  // level message) may bring a line break, so only it is flattened — a refusal stays cheap.
  const flat = facts.detail === undefined || !/\s\s|[^\S ]/.test(facts.detail) ? facts : { ...facts, detail: facts.detail.replace(/\s+/g, ' ').trim() };
  const explainer = EXPLANATIONS[code] as Explainer | undefined;
  return explainer === undefined ? (flat.detail ?? code) : explainer(flat);
}
