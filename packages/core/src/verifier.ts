import { jwtVerify, type JWTVerifyOptions } from 'jose';
import { isAlgorithm } from './algorithms.js';
import { durationToSeconds } from './duration.js';
import { configError, JwtGuardError, quotedStringSafe } from './errors.js';
import { checkOptionNames, resolveAlgorithms, selectKeySource } from './config.js';
import { mapJoseError } from './jose-errors.js';
import { multiIssuerVerifier } from './multi-issuer.js';
import type { AuthContext, JWTPayload, JwtGuardClaims, Verifier, VerifierOptions } from './options.js';
import { revocationCheck } from './revocation/check.js';
import { scopeReader } from './scopes.js';
import { DEFAULT_MAX_TOKEN_LENGTH, idTokenHint, parseToken } from './token.js';


/** Bounds the signature checks one token can cause when it carries no `kid`. */
const MAX_KEYS_TRIED = 16;

export const VERIFIER_OPTION_NAMES: readonly (keyof VerifierOptions)[] = [
  'secret', 'publicKey', 'jwks', 'jwksUri', 'getKey', 'discovery', 'algorithms', 'issuer', 'audience',
  'clockTolerance', 'maxTokenAge', 'requiredClaims', 'requireExp', 'typ', 'currentDate',
  'scopeClaim', 'maxTokenLength', 'jwksCacheMaxAge', 'jwksCacheMinAge', 'jwksCooldown', 'jwksTimeout',
  'jwksMaxBytes', 'jwksStaleIfError', 'warmUp', 'onKeyEvent', 'issuers', 'getKeyCacheTtl', 'revocation',
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

function singleIssuerVerifier<Claims extends JWTPayload>(options: VerifierOptions): Verifier<Claims> {
  const source = selectKeySource(options);
  const algorithms = resolveAlgorithms(options, source);
  const allowed = new Set<string>(algorithms);

  const issuer = expectedValues(options.issuer, 'issuer', 'iss');
  const audience = expectedValues(options.audience, 'audience', 'aud');
  const requireExp = options.requireExp ?? true;
  if (typeof requireExp !== 'boolean') throw configError('requireExp must be true or false.');
  const checkRevocation = options.revocation === undefined ? undefined : revocationCheck(options.revocation);
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

  const baseJoseOptions: JWTVerifyOptions = {
    requiredClaims,
    clockTolerance: options.clockTolerance === undefined ? 0 : durationToSeconds(options.clockTolerance, 'clockTolerance'),
    ...(issuer === undefined ? {} : { issuer }),
    ...(audience === undefined ? {} : { audience }),
    ...(options.maxTokenAge === undefined ? {} : { maxTokenAge: durationToSeconds(options.maxTokenAge, 'maxTokenAge') }),
    ...(options.typ === undefined ? {} : { typ: options.typ }),
  };

  async function verify(token: string): Promise<AuthContext<Claims>> {
    const parsed = parseToken(token, maxTokenLength);
    const { header } = parsed;
    const alg = header.alg;
    if (typeof alg !== 'string') {
      throw new JwtGuardError('token_malformed', 'The access token is malformed.', { hint: 'the header has no "alg"' });
    }
    if (!allowed.has(alg) || !isAlgorithm(alg)) {
      throw new JwtGuardError('algorithm_not_allowed', 'The access token is signed with an algorithm that is not allowed.', {
        hint: `header alg "${quotedStringSafe(alg).slice(0, 32)}"; allowed: ${algorithms.join(', ')}`,
      });
    }
    const kid = header.kid;
    if (kid !== undefined && typeof kid !== 'string') {
      throw new JwtGuardError('token_malformed', 'The access token is malformed.', { hint: 'the header "kid" is not a string' });
    }
    const candidates = await source.candidates(header, alg, kid, token, parsed.untrustedPayload);
    if (candidates.length === 0) {
      throw new JwtGuardError('key_not_found', 'No key is known for the access token.', {
        hint: kid === undefined ? `no configured key verifies ${alg}` : `no configured ${alg} key has the token's kid`,
      });
    }
    const joseOptions: JWTVerifyOptions = {
      ...baseJoseOptions,
      algorithms: [alg],
      ...(currentDate === undefined ? {} : { currentDate: typeof currentDate === 'function' ? currentDate() : currentDate }),
    };
    let lastError: unknown;
    for (const key of candidates.slice(0, MAX_KEYS_TRIED)) {
      try {
        const result = await jwtVerify<Claims>(token, key.key, joseOptions);
        // Only a genuine, valid token reaches the denylist; its verdict is final, not a key miss.
        const revocation = checkRevocation?.(result.payload);
        if (revocation !== undefined) await revocation;
        return { token, header: result.protectedHeader, payload: result.payload, scopes: readScopes(result.payload) };
      } catch (error) {
        if (error instanceof JwtGuardError) throw error;
        // Only a bad signature moves on to the next key; any other failure is the token's verdict.
        if ((error as { code?: string }).code !== 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') {
          throw mapJoseError(error, idTokenHint(header, parsed.untrustedPayload));
        }
        lastError = error;
      }
    }
    throw mapJoseError(lastError, undefined);
  }

  const ready = async (): Promise<void> => {
    await source.ready?.();
  };
  if (options.warmUp === true) ready().catch(() => undefined); // failures are reported through onKeyEvent
  else if (options.warmUp !== undefined && options.warmUp !== false) throw configError('warmUp must be true or false.');
  return { verify, algorithms, ready };
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
