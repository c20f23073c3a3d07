import { ALGORITHMS, isAlgorithm, isHmac } from './algorithms.js';
import { durationToSeconds } from './duration.js';
import { configError } from './errors.js';
import type { KeySource } from './keys/key-source.js';
import { selectKeySource } from './keys/select-source.js';
import { checkSecretStrength } from './keys/secret-strength.js';
import { defaultAlgorithm, keyAllows, type VerificationKey } from './keys/verification-key.js';
import type { Algorithm, JWTPayload, VerifierOptions } from './options.js';
import { normalizeTyp, type ClaimRules } from './claims.js';
import { revocationCheck } from './revocation/check.js';
import { scopeReader } from './scopes.js';
import { DEFAULT_MAX_TOKEN_LENGTH } from './token.js';

const ASYMMETRIC: readonly Algorithm[] = (Object.keys(ALGORITHMS) as Algorithm[]).filter((alg) => !isHmac(alg));

/**
 * Refuses unknown option names, so a typo (`audiance`, `algorithm`) fails loudly at start-up.
 * `where` names the call the options are for (`secretFromEnv("JWT_SECRET")`), when not the verifier.
 */
export function checkOptionNames(options: object, known: readonly string[], where?: string): void {
  for (const name of Object.keys(options)) {
    if (known.includes(name)) continue;
    const close = closestName(name, known);
    throw configError(`${where === undefined ? '' : `${where}: `}unknown option "${name}"${close === undefined ? '.' : `; did you mean "${close}"?`}`);
  }
}

/**
 * The known name a typo most likely meant, or undefined when none is close. Names are compared
 * without case, `-` or `_` (`jwks_uri` is `jwksUri`), by edit distance with transpositions (optimal
 * string alignment): at most 2 edits and at most a third of the name, so a short unrelated name
 * (`foo`) gets no suggestion rather than a misleading one.
 */
export function closestName(name: string, known: readonly string[]): string | undefined {
  const typed = normalizeName(name);
  const allowed = Math.min(2, Math.max(1, Math.floor(typed.length / 3)));
  let best: string | undefined;
  let bestDistance = allowed + 1;
  for (const candidate of known) {
    const distance = editDistance(typed, normalizeName(candidate), bestDistance);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_]/g, '');
}

/** Optimal string alignment distance; anything at or over `limit` is reported as `limit`. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) >= limit) return limit;
  let beforePrevious: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, beforePrevious[j - 2]! + 1);
      current[j] = value;
    }
    beforePrevious = previous;
    previous = current;
  }
  return Math.min(previous[b.length]!, limit);
}

/**
 * The allowlist: the user's, checked against the keys, or inferred from keys that leave no doubt.
 * Never `none`, never HMAC beside asymmetric algorithms, never HMAC with a public key.
 */
export function resolveAlgorithms(options: VerifierOptions, source: KeySource, refusePlaceholderSecrets = true): readonly Algorithm[] {
  const keys = source.staticKeys;
  let algorithms: Algorithm[];
  if (options.algorithms !== undefined) {
    algorithms = checkAlgorithmList(options.algorithms);
    if (keys !== undefined) checkKeysFitAlgorithms(keys, algorithms, source.kind);
    else if (source.kind === 'jwksUri' && algorithms.some(isHmac)) {
      throw configError('algorithms lists an HMAC algorithm with public keys: a remote JWKS serves public keys only (RFC 8725 §2.1). Use RS*/PS*/ES*/EdDSA.');
    }
  } else if (keys === undefined) {
    algorithms = [...ASYMMETRIC];
  } else {
    algorithms = [...new Set(keys.map((key) => defaultAlgorithm(key)).filter((alg): alg is Algorithm => alg !== undefined))];
  }
  if (keys !== undefined) checkSecretStrength(keys, algorithms, refusePlaceholderSecrets);
  return Object.freeze(algorithms);
}

function checkAlgorithmList(list: readonly unknown[]): Algorithm[] {
  if (!Array.isArray(list) || list.length === 0) throw configError("algorithms must be a non-empty array, e.g. ['RS256'].");
  for (const alg of list) {
    if (typeof alg === 'string' && alg.toLowerCase() === 'none') {
      throw configError('algorithms contains "none": unsigned tokens are never accepted (RFC 8725 §3.1).');
    }
    if (!isAlgorithm(alg)) {
      throw configError(`algorithms contains "${String(alg)}", which is not a JWS signature algorithm jwt-guard verifies (${Object.keys(ALGORITHMS).join(', ')}).`);
    }
  }
  const algorithms = [...new Set(list as Algorithm[])];
  if (algorithms.some(isHmac) && !algorithms.every(isHmac)) {
    throw configError(
      'algorithms mixes HMAC (HS*) with asymmetric algorithms; that invites key confusion (RFC 8725 §2.1). Use one verifier per kind.',
    );
  }
  return algorithms;
}

function checkKeysFitAlgorithms(keys: readonly VerificationKey[], algorithms: readonly Algorithm[], kind: string): void {
  const secrets = keys.some((key) => key.family === 'oct');
  if (secrets && !algorithms.every(isHmac)) {
    throw configError(`algorithms lists ${algorithms.join(', ')} but \`${kind}\` holds HMAC secrets: use HS256, HS384 or HS512.`);
  }
  if (!secrets && algorithms.some(isHmac)) {
    throw configError(
      `algorithms lists an HMAC algorithm with public keys: an HS* token "signed" with your public key would verify (key confusion, RFC 8725 §2.1). Use RS*/PS*/ES*/EdDSA.`,
    );
  }
  const usable = keys.some((key) => algorithms.some((alg) => keyAllows({ ...key, secretLength: undefined }, alg, true)));
  if (!usable) throw configError(`no configured key can verify any of ${algorithms.join(', ')}: check the key types and algorithms.`);
}

/**
 * Everything one verifier is fixed to, resolved once from its options: the pipeline in verifier.ts
 * reads only this. Every option is checked here, at start-up, in one place.
 */
export interface VerifierConfig {
  source: KeySource;
  /** The allowlist, after inference. */
  algorithms: readonly Algorithm[];
  /** The claim checks (issuer, audience, presence, time, `typ`). */
  rules: ClaimRules;
  /** Characters; longer tokens are refused before any parsing. */
  maxTokenLength: number;
  backend: 'node' | 'webcrypto';
  /** The current time in seconds, as the configured clock says. */
  now: () => number;
  readScopes: (payload: JWTPayload) => ReadonlySet<string>;
  /** The denylist check, when `revocation` is configured. */
  checkRevocation: ((payload: JWTPayload) => void | Promise<void>) | undefined;
  /** Verified-token cache size; 0: no cache. */
  cacheEntries: number;
  /** Fetch remote keys at start-up. */
  warmUp: boolean;
}

/**
 * Resolves and checks a single-issuer verifier's options; throws `config_invalid` saying what to
 * change. `jwsOnly`: the signature layer alone (`createJwsVerifier`): no placeholder-secret
 * heuristic, no token cache.
 */
export function resolveVerifierConfig(options: VerifierOptions, jwsOnly = false): VerifierConfig {
  const source = selectKeySource(options);
  const algorithms = resolveAlgorithms(options, source, !jwsOnly);

  const issuer = expectedValues(options.issuer, 'issuer', 'iss');
  const audience = expectedValues(options.audience, 'audience', 'aud');
  const requireExp = options.requireExp ?? true;
  if (typeof requireExp !== 'boolean') throw configError('requireExp must be true or false.');
  const clockTolerance = options.clockTolerance === undefined ? 0 : durationToSeconds(options.clockTolerance, 'clockTolerance');
  const checkRevocation = options.revocation === undefined ? undefined : revocationCheck(options.revocation, requireExp, clockTolerance);
  const requiredClaims = [
    ...new Set([...(requireExp ? ['exp'] : []), ...(options.revocation?.requireJti === true ? ['jti'] : []), ...(options.requiredClaims ?? [])]),
  ];
  if (!requiredClaims.every((claim) => typeof claim === 'string' && claim !== '')) {
    throw configError('requiredClaims must be an array of claim names.');
  }
  if (options.typ !== undefined && (typeof options.typ !== 'string' || options.typ === '')) {
    throw configError("typ must be a media type string such as 'at+jwt'.");
  }
  const maxTokenLength = options.maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH;
  if (!Number.isSafeInteger(maxTokenLength) || maxTokenLength <= 0) {
    throw configError('maxTokenLength must be a positive integer (characters).');
  }
  const now = clockOf(options.currentDate);
  if (options.scopeClaim !== undefined && typeof options.scopeClaim !== 'string' && typeof options.scopeClaim !== 'function') {
    throw configError('scopeClaim must be a claim name or a function (payload) => scopes.');
  }
  const readScopes = scopeReader(options.scopeClaim);

  const rules: ClaimRules = {
    issuer,
    audience,
    requiredClaims,
    clockTolerance,
    maxTokenAge: options.maxTokenAge === undefined ? undefined : durationToSeconds(options.maxTokenAge, 'maxTokenAge'),
    typ: options.typ === undefined ? undefined : normalizeTyp(options.typ),
  };
  const cacheOption = options.tokenCache ?? {};
  if (cacheOption !== false && (typeof cacheOption !== 'object' || cacheOption === null)) {
    throw configError('tokenCache must be false or { maxEntries }.');
  }
  const maxEntries = cacheOption === false ? 0 : (cacheOption.maxEntries ?? 10_000);
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 0) throw configError('tokenCache.maxEntries must be a non-negative integer.');
  const backend = options.cryptoBackend ?? 'node';
  if (backend !== 'node' && backend !== 'webcrypto') throw configError("cryptoBackend must be 'node' or 'webcrypto'.");
  const warmUp = options.warmUp ?? false;
  if (typeof warmUp !== 'boolean') throw configError('warmUp must be true or false.');
  return {
    source,
    algorithms,
    rules,
    maxTokenLength,
    backend,
    now,
    readScopes,
    checkRevocation,
    cacheEntries: jwsOnly ? 0 : maxEntries,
    warmUp,
  };
}

/**
 * The clock, in seconds with their fraction: `currentDate` (a Date or a function returning one),
 * else the system clock. A `currentDate` that gives no valid time fails here, at start-up, where it
 * is seen (a function is called once for that); should it stop giving one later, `now` is NaN and
 * the claims check refuses every token (`clock_invalid`).
 */
function clockOf(currentDate: VerifierOptions['currentDate']): () => number {
  if (currentDate === undefined) return readClock(currentDate);
  if (currentDate instanceof Date) {
    if (!Number.isFinite(currentDate.getTime())) {
      throw configError('currentDate is an Invalid Date (new Date() of something that is not a date?): give a valid Date, or remove currentDate to use the system clock.');
    }
    return readClock(currentDate);
  }
  if (typeof currentDate !== 'function') throw configError('currentDate must be a Date or a function returning a Date.');
  let first: unknown;
  try {
    first = currentDate();
  } catch (error) {
    throw configError(`currentDate() threw at start-up (${error instanceof Error ? error.message : String(error)}): it must return the current time as a Date.`);
  }
  if (!(first instanceof Date) || !Number.isFinite(first.getTime())) {
    const kind = typeof first;
    const what = first instanceof Date ? 'an Invalid Date' : first === undefined || first === null ? String(first) : `${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind}`;
    throw configError(`currentDate() returned ${what} at start-up: it must return the current time as a valid Date.`);
  }
  return readClock(currentDate);
}

/**
 * The reading of a `currentDate` the verifier has already checked (`clockOf`), without calling it
 * again: for the guard's route checks, which must tell the time as the verifier does.
 */
export function readClock(currentDate: VerifierOptions['currentDate']): () => number {
  if (currentDate === undefined) return () => Date.now() / 1000;
  if (currentDate instanceof Date) return () => currentDate.getTime() / 1000;
  return () => {
    let date: unknown;
    try {
      date = currentDate();
    } catch {
      return Number.NaN;
    }
    return date instanceof Date ? date.getTime() / 1000 : Number.NaN;
  };
}

/** The expected `iss` or `aud` values; undefined when the check is skipped (`false`). */
function expectedValues(
  value: string | readonly string[] | false | undefined,
  option: 'issuer' | 'audience',
  claim: 'iss' | 'aud',
): readonly string[] | undefined {
  if (value === false) return undefined;
  if (value === undefined) {
    throw configError(
      `${option} is required: set it to the "${claim}" your tokens carry (a string or an array), ` +
        `or to false to skip the check explicitly (RFC 8725 §3.8/§3.9 advise against skipping it).`,
    );
  }
  const list: readonly unknown[] = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((entry) => typeof entry === 'string' && entry !== '')) {
    throw configError(`${option} must be a non-empty string, an array of them, or false.`);
  }
  return (list as string[]).slice();
}
