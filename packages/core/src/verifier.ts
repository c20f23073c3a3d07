import { normalizeTyp, validateClaims, type ClaimRules } from './claims.js';
import { jwsVerifier, type VerifiedJws } from './jws/verify-jws.js';
import type { VerificationKey } from './keys/verification-key.js';
import { durationToSeconds } from './duration.js';
import { configError, JwtGuardError } from './errors.js';
import { checkOptionNames, resolveAlgorithms, selectKeySource } from './config.js';
import { multiIssuerVerifier } from './multi-issuer.js';
import type { Algorithm, AuthContext, JWTPayload, JwtGuardClaims, KeySourceOptions, TokenHeader, Verifier, VerifierOptions } from './options.js';
import { revocationCheck } from './revocation/check.js';
import { scopeReader } from './scopes.js';
import { registerCacheLookup, TokenCache } from './token-cache.js';
import { DEFAULT_MAX_TOKEN_LENGTH, idTokenHint } from './token.js';

export const VERIFIER_OPTION_NAMES: readonly (keyof VerifierOptions)[] = [
  'secret', 'publicKey', 'jwks', 'jwksUri', 'getKey', 'discovery', 'algorithms', 'issuer', 'audience',
  'clockTolerance', 'maxTokenAge', 'requiredClaims', 'requireExp', 'typ', 'currentDate',
  'scopeClaim', 'maxTokenLength', 'jwksCacheMaxAge', 'jwksCacheMinAge', 'jwksCooldown', 'jwksTimeout',
  'jwksMaxBytes', 'jwksStaleIfError', 'warmUp', 'onKeyEvent', 'issuers', 'getKeyCacheTtl', 'revocation', 'cryptoBackend', 'tokenCache',
  'allowInsecureHttpKeys', 'getKeyTimeout', 'getKeyCooldown',
];

/**
 * Builds a verifier. Everything that can be checked is checked here, at start-up: a key source
 * that is missing or doubled, a weak secret, an algorithm that does not fit the keys, a missing
 * issuer or audience. Each such problem throws a `JwtGuardError` (`config_invalid`) saying what to change.
 */
export function createVerifier<Claims extends JWTPayload = JwtGuardClaims>(
  options: VerifierOptions,
  knownOptionNames: readonly string[] = VERIFIER_OPTION_NAMES,
): Verifier<Claims> {
  if (typeof options !== 'object' || options === null) throw configError('createVerifier(options) needs an options object.');
  checkOptionNames(options, knownOptionNames);
  if (options.issuers !== undefined) return multiIssuerVerifier<Claims>(options, singleIssuerVerifier);
  return singleIssuerVerifier<Claims>(options);
}

function singleIssuerVerifier<Claims extends JWTPayload>(
  options: VerifierOptions,
  jwsOnly = false,
): Verifier<Claims> & { verifyJws(token: string): Promise<VerifiedJws> } {
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
  const currentDate = options.currentDate;
  if (currentDate !== undefined && !(currentDate instanceof Date) && typeof currentDate !== 'function') {
    throw configError('currentDate must be a Date or a function returning a Date.');
  }
  if (options.scopeClaim !== undefined && typeof options.scopeClaim !== 'string' && typeof options.scopeClaim !== 'function') {
    throw configError('scopeClaim must be a claim name or a function (payload) => scopes.');
  }
  const readScopes = scopeReader(options.scopeClaim);

  const rules: ClaimRules = {
    issuer: issuer === undefined ? undefined : [issuer].flat(),
    audience: audience === undefined ? undefined : [audience].flat(),
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
  const cache = maxEntries === 0 || jwsOnly ? undefined : new TokenCache<Claims>(maxEntries);
  const backend = options.cryptoBackend ?? 'node';
  if (backend !== 'node' && backend !== 'webcrypto') throw configError("cryptoBackend must be 'node' or 'webcrypto'.");
  const nowSeconds =
    currentDate === undefined
      ? () => Math.floor(Date.now() / 1000)
      : () => Math.floor((typeof currentDate === 'function' ? currentDate() : currentDate).getTime() / 1000);

  // Everything below is synchronous unless something must wait (a key fetch, WebCrypto, an
  // asynchronous revocation store): a promise appears only then, so the common case — keys held,
  // revocation answered from memory — costs no promise and no microtask per token.

  const verifyJwsNow = jwsVerifier({ algorithms, source, maxTokenLength, backend });

  async function verifyJws(token: string): Promise<VerifiedJws> {
    return verifyJwsNow(token);
  }

  /**
   * Time, type and presence rules and the denylist: run on every verification, cached or not.
   * Returns a promise only when the revocation store answers asynchronously.
   */
  function checkClaims(header: TokenHeader, payload: Claims): void | Promise<void> {
    try {
      validateClaims(header, payload, rules, nowSeconds());
    } catch (error) {
      const hint = idTokenHint(header, payload);
      throw error instanceof JwtGuardError && hint !== undefined ? new JwtGuardError(error.code, error.message, { hint }) : error;
    }
    // Only a genuine, valid token reaches the denylist.
    return checkRevocation?.(payload);
  }

  /** A token whose signature holds: its claims decide, then the verdict may be cached. */
  function verified(token: string, { parsed, key }: VerifiedJws): AuthContext<Claims> | Promise<AuthContext<Claims>> {
    const { header } = parsed;
    // From here on the payload is the issuer's own.
    const payload = parsed.untrustedPayload as Claims | undefined;
    if (payload === undefined) {
      throw new JwtGuardError('token_malformed', 'The access token is malformed.', { hint: 'the payload is not a JSON object: not a JWT' });
    }
    const pending = checkClaims(header, payload);
    const auth: AuthContext<Claims> = { token, header, payload, scopes: readScopes(payload) };
    if (pending === undefined) return remember(token, auth, key);
    return pending.then(() => remember(token, auth, key));
  }

  function remember(token: string, auth: AuthContext<Claims>, key: VerificationKey): AuthContext<Claims> {
    if (cache?.admit(token) === true) cache.set(token, { auth, key });
    return auth;
  }

  /** A cached token's context, re-checked; undefined when the token is not in the cache. */
  function cachedNow(token: string): AuthContext<Claims> | Promise<AuthContext<Claims>> | undefined {
    // JavaScript callers may pass anything; verifyJwsNow refuses a non-string with the precise error.
    if (cache === undefined || typeof token !== 'string') return undefined;
    const cached = cache.get(token);
    if (cached === undefined) return undefined;
    if (source.isCurrent?.(cached.key) === false) {
      cache.delete(token); // the key that verified it has left the key set
      return undefined;
    }
    return recheck(token, cached.auth);
  }

  function verifyNow(token: string): AuthContext<Claims> | Promise<AuthContext<Claims>> {
    const hit = cachedNow(token);
    if (hit !== undefined) return hit;
    const jws = verifyJwsNow(token);
    if (jws instanceof Promise) return jws.then((done) => verified(token, done));
    return verified(token, jws);
  }

  /** A cache hit: the claims (time above all) and revocation are checked again; a failure drops the entry. */
  function recheck(token: string, auth: AuthContext<Claims>): AuthContext<Claims> | Promise<AuthContext<Claims>> {
    let pending: void | Promise<void>;
    try {
      pending = checkClaims(auth.header, auth.payload);
    } catch (error) {
      cache!.delete(token);
      throw error;
    }
    if (pending === undefined) return auth;
    return pending.then(
      () => auth,
      (error: unknown) => {
        cache!.delete(token);
        throw error;
      },
    );
  }

  // async: a synchronous throw of verifyNow becomes the rejection.
  const verify = async (token: string): Promise<AuthContext<Claims>> => verifyNow(token);

  const ready = async (): Promise<void> => {
    await source.ready?.();
  };
  if (options.warmUp === true) ready().catch(() => undefined); // failures are reported through onKeyEvent
  else if (options.warmUp !== undefined && options.warmUp !== false) throw configError('warmUp must be true or false.');
  const verifier = { verify, verifyNow, algorithms, ready, verifyJws };
  if (cache !== undefined) registerCacheLookup(verifier, cachedNow);
  return verifier;
}

/** A verifier of JWS signatures alone, for payloads that are not JWTs. */
export interface JwsVerifier {
  /** Resolves with the verified header and payload bytes; rejects with a `JwtGuardError`. */
  verify: (token: string) => Promise<{ header: TokenHeader; payload: Uint8Array }>;
  readonly algorithms: readonly Algorithm[];
}

export type JwsVerifierOptions = KeySourceOptions &
  Pick<VerifierOptions, 'algorithms' | 'maxTokenLength' | 'cryptoBackend' | 'jwksCacheMaxAge' | 'jwksCooldown' | 'jwksTimeout'>;

/**
 * The signature layer of the verifier on its own — the same key sources, algorithm allowlist,
 * header and key-selection rules — without any claim check. For JWS test vectors and for signed
 * payloads that are not JWTs; never a substitute for `createVerifier` on access tokens. Secrets must
 * meet RFC 7518's length, but not the placeholder heuristic `createVerifier` adds on top.
 */
export function createJwsVerifier(options: JwsVerifierOptions): JwsVerifier {
  const inner = singleIssuerVerifier<JWTPayload>({ ...options, issuer: false, audience: false, requireExp: false }, true);
  return {
    algorithms: inner.algorithms,
    verify: async (token) => {
      const { parsed } = await inner.verifyJws(token);
      const { header, payloadBytes } = parsed;
      return { header, payload: payloadBytes };
    },
  };
}

function expectedValues(
  value: string | readonly string[] | false | undefined,
  option: 'issuer' | 'audience',
  claim: 'iss' | 'aud',
): string | string[] | undefined {
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
  return typeof value === 'string' ? value : (list as string[]).slice();
}
