import { closestName } from './config.js';
import { configError, JwtGuardError } from './errors.js';
import { explainRefusal } from './explanations.js';
import type { Algorithm, IssuerOptions, JWTPayload, Verifier, VerifierOptions } from './options.js';
import { cacheLookupOf, registerCacheLookup } from './token-cache.js';
import { DEFAULT_MAX_TOKEN_LENGTH, parseToken } from './token.js';
import { untrustedIssuer } from './untrusted-issuer.js';

const KEY_SOURCE_NAMES = ['secret', 'publicKey', 'jwks', 'jwksUri', 'getKey', 'discovery'] as const;
const ISSUER_OPTION_NAMES: readonly string[] = ['issuer', 'audience', 'algorithms', 'typ', ...KEY_SOURCE_NAMES];

/**
 * Several trusted issuers (tenants). Each entry becomes a complete verifier of its own — its own
 * keys, algorithms and audience, HMAC and asymmetric never mixed within one — and the token's `iss`
 * picks among them. The `iss` is read before verification only to choose; an issuer that is not
 * configured is refused without any key being fetched, and the chosen verifier checks `iss` again.
 */
export function multiIssuerVerifier<Claims extends JWTPayload>(
  options: VerifierOptions,
  build: (options: VerifierOptions) => Verifier<Claims>,
): Verifier<Claims> {
  const { issuers, ...shared } = options;
  if (!Array.isArray(issuers) || issuers.length === 0) {
    throw configError('issuers must be a non-empty array of { issuer, <one key source>, audience?, algorithms?, typ? }.');
  }
  if (shared.issuer !== undefined) throw configError('give either issuer or issuers, not both.');
  const misplaced = KEY_SOURCE_NAMES.filter((name) => shared[name] !== undefined && shared[name] !== false);
  if (misplaced.length > 0) {
    throw configError(`${misplaced.join(', ')} must be set inside each issuers[] entry, so that each issuer has its own keys.`);
  }

  const byIssuer = new Map<string, Verifier<Claims>>();
  (issuers as readonly IssuerOptions[]).forEach((entry, index) => {
    const where = `issuers[${index}]`;
    if (typeof entry !== 'object' || entry === null || typeof entry.issuer !== 'string' || entry.issuer === '') {
      throw configError(`${where}.issuer must be the issuer's "iss" string.`);
    }
    if (byIssuer.has(entry.issuer)) throw configError(`${where}: the issuer "${entry.issuer}" is listed twice.`);
    for (const name of Object.keys(entry)) {
      if (!ISSUER_OPTION_NAMES.includes(name)) {
        // A name that is close to a per-issuer one is most likely a typo of it, not a misplaced shared option.
        const close = closestName(name, ISSUER_OPTION_NAMES);
        const advice = close === undefined ? '.' : `; did you mean "${close}"?`;
        throw configError(`${where}: "${name}" cannot be set per issuer (allowed: ${ISSUER_OPTION_NAMES.join(', ')})${advice}`);
      }
    }
    try {
      byIssuer.set(entry.issuer, build({ ...shared, ...entry }));
    } catch (error) {
      if (error instanceof JwtGuardError && error.code === 'config_invalid') {
        throw configError(`${where} (${entry.issuer}): ${error.message.replace(/^jwt-guard configuration: /, '')}`);
      }
      throw error;
    }
  });

  const maxTokenLength = shared.maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH;
  const verifiers = [...byIssuer.values()];
  const algorithms: readonly Algorithm[] = Object.freeze([...new Set(verifiers.flatMap((verifier) => verifier.algorithms))]);

  // A token is cached only by the verifier of its issuer: looking it up in each cache (a few
  // integer-keyed lookups) answers a reused token without parsing it to find the issuer.
  const lookups = verifiers.map((verifier) => cacheLookupOf(verifier)).filter((lookup) => lookup !== undefined);

  function cachedNow(token: string) {
    for (const lookup of lookups) {
      const hit = lookup(token);
      if (hit !== undefined) return hit;
    }
    return undefined;
  }

  function verifyNow(token: string) {
    const hit = cachedNow(token);
    if (hit !== undefined) return hit;
    // The issuer is read before the signature only to choose; a bounded scan, not a parse.
    const iss = untrustedIssuer(parseToken(token, maxTokenLength).payloadSegment);
    if (iss === undefined) {
      throw new JwtGuardError('claim_missing', 'The access token has no "iss" claim.', {
        hint: explainRefusal('claim_missing', { claim: 'iss', issuer: [...byIssuer.keys()] }),
      });
    }
    const verifier = typeof iss === 'string' ? byIssuer.get(iss) : undefined;
    if (verifier === undefined) {
      // The token's iss is shown (escaped, cut short) beside the configured issuers: nothing is looked up by it.
      throw new JwtGuardError('issuer_mismatch', 'The access token was issued by an untrusted issuer.', {
        hint: `${explainRefusal('issuer_mismatch', { payload: { iss }, issuer: [...byIssuer.keys()] })} (not in issuers[])`,
      });
    }
    return verifier.verifyNow(token);
  }

  const verifier: Verifier<Claims> = {
    algorithms,
    verifyNow,
    // async: a synchronous throw of verifyNow becomes the rejection.
    verify: async (token) => verifyNow(token),
    async ready() {
      await Promise.all(verifiers.map((inner) => inner.ready()));
    },
  };
  if (lookups.length > 0) registerCacheLookup(verifier, cachedNow);
  return verifier;
}
