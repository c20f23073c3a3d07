import { ALGORITHMS, isAlgorithm, isHmac } from './algorithms.js';
import { durationToSeconds } from './duration.js';
import { configError } from './errors.js';
import type { KeySource } from './keys/key-source.js';
import { discoveredJwksSource } from './keys/discovery.js';
import { emitter } from './keys/key-events.js';
import { insecureKeyUrl } from './keys/key-url.js';
import { remoteJwksSource, type RemoteJwksOptions } from './keys/remote-jwks.js';
import { checkSecretStrength } from './keys/secret-strength.js';
import { resolverKeySource } from './keys/resolver-source.js';
import { staticKeySource } from './keys/static-source.js';
import { defaultAlgorithm, keyAllows, type VerificationKey } from './keys/verification-key.js';
import type { Algorithm, Duration, VerifierOptions } from './options.js';
import { normalizeTyp, type ClaimRules } from './claims.js';
import type { JWTPayload } from './options.js';
import { revocationCheck } from './revocation/check.js';
import { scopeReader } from './scopes.js';
import { DEFAULT_MAX_TOKEN_LENGTH } from './token.js';

const KEY_SOURCES = ['secret', 'publicKey', 'jwks', 'jwksUri', 'discovery', 'getKey'] as const;
const ASYMMETRIC: readonly Algorithm[] = (Object.keys(ALGORITHMS) as Algorithm[]).filter((alg) => !isHmac(alg));

/** Refuses unknown option names, so a typo (`algorithm`, `audiences`) fails loudly at start-up. */
export function checkOptionNames(options: object, known: readonly string[]): void {
  for (const name of Object.keys(options)) {
    if (known.includes(name)) continue;
    const close = known.find((candidate) => candidate.toLowerCase().startsWith(name.toLowerCase().slice(0, 5)));
    throw configError(`unknown option "${name}"${close ? `; did you mean "${close}"?` : '.'}`);
  }
}

function positive(seconds: number, optionName: string): number {
  if (seconds <= 0) throw configError(`${optionName} must be greater than zero.`);
  return seconds;
}

/** Exactly one key source; each is imported (or prepared) here, once. */
export function selectKeySource(options: VerifierOptions): KeySource {
  const given = KEY_SOURCES.filter((name) => options[name] !== undefined && options[name] !== false);
  if (given.length === 0) {
    throw configError(
      "no key source: give exactly one of secret (HMAC), publicKey, jwks, jwksUri (your identity provider's JWKS URL), discovery: true or getKey.",
    );
  }
  if (given.length > 1) {
    throw configError(`${given.join(' and ')} are both set: give exactly one key source, so it is clear which keys are trusted.`);
  }
  const explicitAlgorithms = options.algorithms !== undefined;
  const kind = given[0]!;
  switch (kind) {
    case 'secret':
    case 'publicKey':
    case 'jwks':
      return staticKeySource(kind, options, () => explicitAlgorithms);
    case 'jwksUri': {
      const remote = remoteOptions(options);
      return remoteJwksSource({ ...remote, url: httpUrl(options.jwksUri!, 'jwksUri', remote.allowInsecureHttp) });
    }
    case 'discovery': {
      if (options.discovery !== true) throw configError('discovery must be true or false.');
      if (typeof options.issuer !== 'string') {
        throw configError('discovery needs issuer to be the one issuer URL whose metadata names the JWKS (for several, use issuers).');
      }
      const remote = remoteOptions(options);
      httpUrl(options.issuer, 'issuer', remote.allowInsecureHttp);
      return discoveredJwksSource(options.issuer, remote, remote.emit);
    }
    case 'getKey':
      if (typeof options.getKey !== 'function') throw configError('getKey must be a function (header, token) => key.');
      if (options.algorithms === undefined) {
        throw configError('getKey needs algorithms: jwt-guard cannot see its keys at start-up, so list the algorithms you expect, e.g. [\'RS256\'].');
      }
      return resolverKeySource(options.getKey, {
        ttlMs: durationToSeconds(options.getKeyCacheTtl ?? '5m', 'getKeyCacheTtl') * 1000,
        timeoutMs: positive(durationToSeconds(options.getKeyTimeout ?? '5s', 'getKeyTimeout'), 'getKeyTimeout') * 1000,
        cooldownMs: durationToSeconds(options.getKeyCooldown ?? '30s', 'getKeyCooldown') * 1000,
      });
  }
}

/** A key URL: https, or http on the loopback interface, or http anywhere with `allowInsecureHttpKeys: true`. */
function httpUrl(value: string | URL, option: string, allowInsecureHttp: boolean): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw configError(`${option} is not a valid URL.`);
  }
  if (url.username !== '' || url.password !== '') {
    throw configError(`${option} has a user name or password in it: fetch refuses such URLs, so no key could ever be fetched. Remove them.`);
  }
  const insecure = insecureKeyUrl(url, allowInsecureHttp);
  if (insecure !== undefined) {
    // The URL itself is not repeated: its query may hold an API key.
    throw configError(
      `${option} must be an https: URL, because ${insecure}. Use https; plain http: is accepted only on the loopback interface ` +
        '(localhost, 127.0.0.1, [::1]) or, for a key server on a network you fully trust, with allowInsecureHttpKeys: true.',
    );
  }
  return url;
}

/** The timing and size settings shared by `jwksUri` and `discovery`, checked once. */
function remoteOptions(options: VerifierOptions): Omit<RemoteJwksOptions, 'url'> {
  const seconds = (value: Duration | undefined, fallback: Duration, name: string) => durationToSeconds(value ?? fallback, name) * 1000;
  const maxAgeMs = positive(seconds(options.jwksCacheMaxAge, '10m', 'jwksCacheMaxAge'), 'jwksCacheMaxAge');
  // Unless set, the floor is a minute, or the ceiling if that is shorter.
  const minAgeMs =
    options.jwksCacheMinAge === undefined ? Math.min(60_000, maxAgeMs) : positive(seconds(options.jwksCacheMinAge, '1m', 'jwksCacheMinAge'), 'jwksCacheMinAge');
  if (minAgeMs > maxAgeMs) throw configError('jwksCacheMinAge must not be longer than jwksCacheMaxAge.');
  const maxBytes = options.jwksMaxBytes ?? 512 * 1024;
  if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) throw configError('jwksMaxBytes must be a positive integer.');
  if (options.onKeyEvent !== undefined && typeof options.onKeyEvent !== 'function') throw configError('onKeyEvent must be a function.');
  const allowInsecureHttp = options.allowInsecureHttpKeys ?? false;
  if (typeof allowInsecureHttp !== 'boolean') throw configError('allowInsecureHttpKeys must be true or false.');
  return {
    maxAgeMs,
    minAgeMs,
    cooldownMs: seconds(options.jwksCooldown, '30s', 'jwksCooldown'),
    timeoutMs: positive(seconds(options.jwksTimeout, '5s', 'jwksTimeout'), 'jwksTimeout'),
    staleIfErrorMs: seconds(options.jwksStaleIfError, '1h', 'jwksStaleIfError'),
    maxBytes,
    explicitAlgorithms: options.algorithms !== undefined,
    allowInsecureHttp,
    emit: emitter(options.onKeyEvent),
  };
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
  const checkRevocation = options.revocation === undefined ? undefined : revocationCheck(options.revocation, requireExp);
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
    clockTolerance: options.clockTolerance === undefined ? 0 : durationToSeconds(options.clockTolerance, 'clockTolerance'),
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
  if (currentDate === undefined) return () => Date.now() / 1000;
  if (currentDate instanceof Date) {
    if (!Number.isFinite(currentDate.getTime())) {
      throw configError('currentDate is an Invalid Date (new Date() of something that is not a date?): give a valid Date, or remove currentDate to use the system clock.');
    }
    return () => currentDate.getTime() / 1000;
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
