import { readFile } from 'node:fs/promises';
import {
  createVerifier,
  isJwtGuardError,
  JwtGuardError,
  memoryRevocationStore,
  secretFromEnv,
  type Algorithm,
  type JsonWebKeySet,
  type VerifierOptions,
} from '@jwt-guard/core';
import { decodeToken, type DecodedToken } from './decode.js';
import { explain, type ExplainContext } from './explain.js';
import { describeTime, parseSpan, UsageError } from './time.js';

/** What `jwt-guard inspect` is told: flags, or the same names in a JSON config file. */
export interface InspectOptions {
  issuer?: string[] | false;
  audience?: string[] | false;
  jwksUri?: string;
  /** Path of a JWK Set file. */
  jwksFile?: string;
  /** Path of a PEM public key file. */
  publicKeyFile?: string;
  /** Name of the environment variable holding the HMAC secret (never the value). */
  secretEnv?: string;
  /** The HMAC secret itself (discouraged: it ends up in shell history). */
  secret?: string;
  discovery?: boolean;
  algorithms?: string[];
  typ?: string;
  requiredClaims?: string[];
  clockTolerance?: string;
  maxTokenAge?: string;
  maxTokenLength?: number;
  /** `jti`s to treat as revoked (to check a denylist entry). */
  revokedJtis?: string[];
  /** The current time (tests). */
  now?: Date;
}

export interface InspectResult {
  decoded: DecodedToken;
  /** Lines of the human report. */
  lines: string[];
  /** Whether the verifier ran (some key source was given). */
  verified: boolean | undefined;
  /** The refusal, if the verifier ran and refused. */
  error?: { code: string; explanation: string; hint?: string };
}

const TIME_CLAIMS = new Set(['exp', 'nbf', 'iat', 'auth_time', 'updated_at']);

/** Whether any option asks for real verification. */
export function wantsVerification(options: InspectOptions): boolean {
  return [options.jwksUri, options.jwksFile, options.publicKeyFile, options.secretEnv, options.secret].some((value) => value !== undefined) || options.discovery === true;
}

async function verifierOptions(options: InspectOptions): Promise<{ verifierOptions: VerifierOptions; keySource: string }> {
  const result: VerifierOptions = {};
  let keySource = 'the key source';
  if (options.jwksUri !== undefined) {
    result.jwksUri = options.jwksUri;
    keySource = `the JWKS at ${options.jwksUri}`;
  }
  if (options.jwksFile !== undefined) {
    result.jwks = JSON.parse(await readFile(options.jwksFile, 'utf8')) as JsonWebKeySet;
    keySource = `the JWK Set in ${options.jwksFile}`;
  }
  if (options.publicKeyFile !== undefined) {
    result.publicKey = await readFile(options.publicKeyFile, 'utf8');
    keySource = `the public key in ${options.publicKeyFile}`;
  }
  if (options.secretEnv !== undefined) {
    result.secret = secretFromEnv(options.secretEnv);
    keySource = `the secret in $${options.secretEnv}`;
  }
  if (options.secret !== undefined) {
    result.secret = options.secret;
    keySource = 'the secret given with --secret';
  }
  if (options.discovery) {
    result.discovery = true;
    keySource = 'the JWKS named by the issuer metadata';
  }
  if (options.issuer !== undefined) result.issuer = options.issuer === false ? false : options.issuer.length === 1 ? options.issuer[0] : options.issuer;
  if (options.audience !== undefined) result.audience = options.audience === false ? false : options.audience.length === 1 ? options.audience[0] : options.audience;
  if (options.algorithms !== undefined && options.algorithms.length > 0) result.algorithms = options.algorithms as Algorithm[];
  if (options.typ !== undefined) result.typ = options.typ;
  if (options.requiredClaims !== undefined) result.requiredClaims = options.requiredClaims;
  if (options.clockTolerance !== undefined) result.clockTolerance = parseSpan(options.clockTolerance, '--clock-tolerance');
  if (options.maxTokenAge !== undefined) result.maxTokenAge = parseSpan(options.maxTokenAge, '--max-token-age');
  if (options.maxTokenLength !== undefined) result.maxTokenLength = options.maxTokenLength;
  if (options.now !== undefined) result.currentDate = options.now;
  if (options.revokedJtis !== undefined && options.revokedJtis.length > 0) {
    const store = memoryRevocationStore();
    const until = Math.floor(Date.now() / 1000) + 86400 * 365;
    for (const jti of options.revokedJtis) store.applyRevoke(jti, until);
    result.revocation = { store };
  }
  result.tokenCache = false;
  result.warmUp = false;
  return { verifierOptions: result, keySource };
}

function formatValue(name: string, value: unknown, now: number): string {
  if (TIME_CLAIMS.has(name)) return describeTime(name, value, now);
  return JSON.stringify(value);
}

/**
 * Decodes a token without trusting it and, when a key source is given, runs the real verifier
 * (`createVerifier` from @jwt-guard/core). Never returns the token itself.
 */
export async function inspectToken(token: string, options: InspectOptions = {}): Promise<InspectResult> {
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const decoded = decodeToken(token);
  const lines: string[] = [];
  lines.push(`token: ${decoded.length} characters, ${decoded.parts} part(s), sha256 ${decoded.fingerprint}… (never printed)`);
  if (decoded.header !== undefined) {
    lines.push('header (not verified):');
    for (const [name, value] of Object.entries(decoded.header)) lines.push(`  ${name}: ${formatValue(name, value, now)}`);
  }
  if (decoded.payload !== undefined) {
    lines.push('claims (not verified):');
    for (const [name, value] of Object.entries(decoded.payload)) lines.push(`  ${name}: ${formatValue(name, value, now)}`);
  }
  if (decoded.problem !== undefined) lines.push(`cannot decode: ${decoded.problem}`);

  if (!wantsVerification(options)) {
    lines.push('not verified: pass --issuer, --audience and a key (--jwks-uri, --jwks, --public-key, --secret-env) to run the verifier.');
    return { decoded, lines, verified: undefined };
  }

  const context: ExplainContext = { decoded, now };
  let built: { verifierOptions: VerifierOptions; keySource: string };
  try {
    built = await verifierOptions(options);
  } catch (error) {
    if (error instanceof SyntaxError) throw new UsageError(`a key file is not valid JSON: ${error.message}`);
    throw error;
  }
  const verifierOpts = built.verifierOptions;
  Object.assign(context, {
    keySource: built.keySource,
    issuer: verifierOpts.issuer,
    audience: verifierOpts.audience,
    typ: verifierOpts.typ,
    requiredClaims: verifierOpts.requiredClaims,
    maxTokenLength: verifierOpts.maxTokenLength,
    maxTokenAge: typeof verifierOpts.maxTokenAge === 'number' ? verifierOpts.maxTokenAge : undefined,
  });
  try {
    const verifier = createVerifier(verifierOpts);
    context.algorithms = verifier.algorithms;
    const auth = await verifier.verify(token);
    lines.push(`✔ verified: signature, issuer, audience and times check out (alg ${auth.header.alg ?? '?'}, scopes: ${[...auth.scopes].join(' ') || 'none'}).`);
    return { decoded, lines, verified: true };
  } catch (error) {
    const guardError = isJwtGuardError(error)
      ? error
      : new JwtGuardError('token_malformed', 'The access token is malformed.', { hint: error instanceof Error ? error.message : String(error) });
    const explanation = explain(guardError, context);
    lines.push(`✘ ${explanation}`);
    // The core's hints come from the same explanations: one that says nothing new is not repeated.
    if (guardError.hint !== undefined && !explanation.endsWith(guardError.hint)) lines.push(`  (core hint: ${guardError.hint})`);
    return {
      decoded,
      lines,
      verified: false,
      error: { code: guardError.code, explanation, ...(guardError.hint === undefined ? {} : { hint: guardError.hint }) },
    };
  }
}
