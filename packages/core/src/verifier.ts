import { validateClaims } from './claims.js';
import { jwsVerifier, type VerifiedJws } from './jws/verify-jws.js';
import type { VerificationKey } from './keys/verification-key.js';
import { configError, JwtGuardError } from './errors.js';
import { checkOptionNames, resolveVerifierConfig } from './config.js';
import { multiIssuerVerifier } from './multi-issuer.js';
import type { Algorithm, AuthContext, JWTPayload, JwtGuardClaims, KeySourceOptions, TokenHeader, Verifier, VerifierOptions } from './options.js';
import { registerCacheLookup, TokenCache } from './token-cache.js';
import { checkJwsPayload, decodePayload, idTokenHint } from './token.js';

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
  const { source, algorithms, rules, maxTokenLength, backend, now, readScopes, checkRevocation, cacheEntries, warmUp } =
    resolveVerifierConfig(options, jwsOnly);
  const cache = cacheEntries === 0 ? undefined : new TokenCache<Claims>(cacheEntries);

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
      validateClaims(header, payload, rules, now());
    } catch (error) {
      const idHint = idTokenHint(header, payload);
      if (!(error instanceof JwtGuardError) || idHint === undefined) throw error;
      // The likely cause first, then what was expected and received.
      throw new JwtGuardError(error.code, error.message, { hint: error.hint === undefined ? idHint : `${idHint}; ${error.hint}` });
    }
    // Only a genuine, valid token reaches the denylist.
    return checkRevocation?.(payload);
  }

  /** A token whose signature holds: its claims decide, then the verdict may be cached. */
  function verified(token: string, { parsed, key }: VerifiedJws): AuthContext<Claims> | Promise<AuthContext<Claims>> {
    const { header } = parsed;
    // The signature holds: only now is the payload parsed (a JSON object, deeply frozen).
    const payload = decodePayload(parsed.payloadSegment) as Claims;
    const pending = checkClaims(header, payload);
    // Frozen through and through (header and payload by the decoder, scopes a read-only set): a
    // cached context is shared by every request with the token, so none may change what the others see.
    const auth: AuthContext<Claims> = Object.freeze({ token, header, payload, scopes: readScopes(payload) });
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
  if (warmUp) ready().catch(() => undefined); // failures are reported through onKeyEvent
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
      const payload = Buffer.from(parsed.payloadSegment, 'base64url');
      checkJwsPayload(payload);
      return { header: parsed.header, payload };
    },
  };
}
