import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  createVerifier,
  explainDiscoveryIssuerMismatch,
  isJwtGuardError,
  JwtGuardError,
  memoryRevocationStore,
  type Algorithm,
  type JsonWebKeySet,
  type SecretEncoding,
  type VerifierOptions,
} from '@jwt-guard/core';
import { DECODE_LIMIT, decodeToken, type DecodedToken } from './decode.js';
import { explain, type ExplainContext } from './explain.js';
import { secretBytesFromEnv } from './secret.js';
import { escapeForTerminal, renderName, renderValue, boundDepth } from './terminal.js';
import { describeTime, parseSpan, UsageError } from './time.js';

/** What `jwt-guard inspect` is told: flags, or the same names in a JSON config file. */
export interface InspectOptions {
  issuer?: string[] | false;
  audience?: string[] | false;
  jwksUri?: string;
  /** Path of a JWK Set file. */
  jwksFile?: string;
  /** Name of the environment variable holding a JWK Set (JSON), e.g. keygen's JWT_JWKS. */
  jwksEnv?: string;
  /** Path of a PEM public key file. */
  publicKeyFile?: string;
  /** Name of the environment variable holding a PEM public key (`\n` escapes allowed). */
  publicKeyEnv?: string;
  /** Name of the environment variable holding the HMAC secret (never the value). */
  secretEnv?: string;
  /** How the app reads that secret: `secretFromEnv(secretEnv, { encoding })`. Default: the text as is (UTF-8). */
  secretEncoding?: SecretEncoding;
  /** The HMAC secret itself (discouraged: it ends up in shell history). */
  secret?: string;
  discovery?: boolean;
  algorithms?: string[];
  typ?: string;
  requiredClaims?: string[];
  clockTolerance?: string;
  maxTokenAge?: string;
  /** The verifier's bound, and the decoder's when above 64 KiB; at most {@link MAX_TOKEN_LENGTH_LIMIT}. */
  maxTokenLength?: number;
  /** `jti`s to treat as revoked (to check a denylist entry). */
  revokedJtis?: string[];
  /** The current time (tests). */
  now?: Date;
  /** The environment to read `*Env` names from. Default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Told about a key that works but is not what was asked for (a private key where a public one goes). */
  onWarning?: (message: string) => void;
}

/** The largest --max-token-length inspect takes: it bounds how much it decodes, so it is bounded too. */
export const MAX_TOKEN_LENGTH_LIMIT = 1024 * 1024;

export interface InspectResult {
  decoded: DecodedToken;
  /** Lines of the human report. */
  lines: string[];
  /** Whether the verifier ran (some key source was given). */
  verified: boolean | undefined;
  /** The refusal, if the verifier ran and refused. */
  error?: { code: string; explanation: string; hint?: string };
  /** The exit code of the documented table: 0 verified (or decoded), 1 refused, 2 configuration, 3 key source unreachable. */
  exitCode: ExitCode;
}

/** docs/cli.md's exit-code table. */
export const EXIT = { ok: 0, refused: 1, usage: 2, unreachable: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

const TIME_CLAIMS = new Set(['exp', 'nbf', 'iat', 'auth_time', 'updated_at']);

/** Whether any option asks for real verification. */
export function wantsVerification(options: InspectOptions): boolean {
  return [options.jwksUri, options.jwksFile, options.jwksEnv, options.publicKeyFile, options.publicKeyEnv, options.secretEnv, options.secret].some((value) => value !== undefined) || options.discovery === true;
}

/**
 * A key file path. Users paste `"$JWT_JWKS"` (the JSON itself) where a path goes: say so, rather
 * than `ENOENT ... open '{"keys":[…'`.
 */
async function readKeyFile(file: string, option: string, envOption: string): Promise<string> {
  const trimmed = file.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('-----BEGIN')) {
    throw new UsageError(`${option} takes a file path, but this looks like the key itself; use ${envOption} NAME to read it from an environment variable.`);
  }
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT') throw new UsageError(`${option}: file not found: ${file}`);
    if (code === 'EISDIR') throw new UsageError(`${option}: ${file} is a directory, not a key file.`);
    throw new UsageError(`${option}: cannot read ${file} (${code ?? (error as Error).message}).`);
  }
}

/** `$name`, or a usage error when it is not set (or empty): a `--*-env` flag names a variable that must exist. */
export function readEnv(name: string, env: Record<string, string | undefined>): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') throw new UsageError(`$${name} is not set (or empty).`);
  return value;
}

function parseJwks(text: string, where: string): JsonWebKeySet {
  try {
    return JSON.parse(text) as JsonWebKeySet;
  } catch (error) {
    throw new UsageError(`${where}: not valid JSON (${(error as Error).message}).`);
  }
}

/**
 * A PEM public key as the verifier takes it. A JWK or JWK Set there is pointed to the JWKS flag; a
 * private key works (the verifier derives its public half) but is said: it should not be on an API.
 */
function publicKeyText(text: string, where: string, jwksFlag: string, onWarning: ((message: string) => void) | undefined): string | KeyObject {
  if (text.trim().startsWith('{')) throw new UsageError(`${where}: this is a JWK or JWK Set (JSON), not a PEM public key; use ${jwksFlag}.`);
  if (!/-----BEGIN (RSA |EC |ENCRYPTED )?PRIVATE KEY-----/.test(text)) return text;
  let key: KeyObject;
  try {
    key = createPublicKey(text);
  } catch {
    throw new UsageError(`${where}: this is a private key, and it cannot be read (an encrypted one?); give the public key (or the JWKS).`);
  }
  onWarning?.(`${where}: this is a private key; give the public key (or the JWKS). Verifying with its public part.`);
  return key;
}

/** The JWK Set of `--jwks FILE` or `--jwks-env NAME` (the latter wins), and where it came from in words. */
export async function readJwksOption(options: Pick<InspectOptions, 'jwksFile' | 'jwksEnv' | 'env'>): Promise<{ jwks: JsonWebKeySet; where: string } | undefined> {
  if (options.jwksEnv !== undefined) {
    return { jwks: parseJwks(readEnv(options.jwksEnv, options.env ?? process.env), `--jwks-env ${options.jwksEnv}`), where: `the JWK Set in $${options.jwksEnv}` };
  }
  if (options.jwksFile !== undefined) {
    return { jwks: parseJwks(await readKeyFile(options.jwksFile, '--jwks', '--jwks-env'), `--jwks ${options.jwksFile}`), where: `the JWK Set in ${options.jwksFile}` };
  }
  return undefined;
}

async function verifierOptions(options: InspectOptions): Promise<{ verifierOptions: VerifierOptions; keySource: string }> {
  const env = options.env ?? process.env;
  const result: VerifierOptions = {};
  let keySource = 'the key source';
  if (options.jwksUri !== undefined) {
    result.jwksUri = options.jwksUri;
    keySource = `the JWKS at ${options.jwksUri}`;
  }
  const local = await readJwksOption(options);
  if (local !== undefined) {
    result.jwks = local.jwks;
    keySource = local.where;
  }
  if (options.publicKeyFile !== undefined) {
    result.publicKey = publicKeyText(await readKeyFile(options.publicKeyFile, '--public-key', '--public-key-env'), `--public-key ${options.publicKeyFile}`, '--jwks FILE', options.onWarning);
    keySource = `the public key in ${options.publicKeyFile}`;
  }
  if (options.publicKeyEnv !== undefined) {
    result.publicKey = publicKeyText(readEnv(options.publicKeyEnv, env).replace(/\\n/g, '\n'), `--public-key-env ${options.publicKeyEnv}`, `--jwks-env ${options.publicKeyEnv}`, options.onWarning);
    keySource = `the public key in $${options.publicKeyEnv}`;
  }
  if (options.secretEnv !== undefined) {
    result.secret = secretBytesFromEnv(options.secretEnv, options.secretEncoding, env);
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
  if (TIME_CLAIMS.has(name)) return escapeForTerminal(describeTime(name, boundDepth(value), now));
  return renderValue(value);
}

const EXIT_FOR: Partial<Record<string, ExitCode>> = {
  config_invalid: EXIT.usage,
  clock_invalid: EXIT.usage,
  key_source_unavailable: EXIT.unreachable,
};

/** explain() quotes token values with JSON.stringify; a hostile nesting must not turn a refusal into a crash. */
function safeExplain(error: JwtGuardError, context: ExplainContext): string {
  try {
    return explain(error, context);
  } catch {
    return `${error.code}: ${error.message} (the token's values are too deeply nested to quote).`;
  }
}

/**
 * Decodes a token without trusting it and, when a key source is given, runs the real verifier
 * (`createVerifier` from @jwt-guard/core). Never returns the token itself.
 */
export async function inspectToken(token: string, options: InspectOptions = {}): Promise<InspectResult> {
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const maxTokenLength = options.maxTokenLength;
  if (maxTokenLength !== undefined && (!Number.isSafeInteger(maxTokenLength) || maxTokenLength <= 0 || maxTokenLength > MAX_TOKEN_LENGTH_LIMIT)) {
    throw new UsageError(`--max-token-length must be a whole number of characters from 1 to ${MAX_TOKEN_LENGTH_LIMIT}; got ${String(maxTokenLength)}.`);
  }
  // Decode as much as the verifier is allowed to read, so that the two never disagree.
  const decoded = decodeToken(token, Math.max(DECODE_LIMIT, maxTokenLength ?? 0));
  const lines: string[] = [];
  lines.push(`token: ${decoded.length} characters, ${decoded.parts} part(s), sha256 ${decoded.fingerprint}… (never printed)`);
  if (decoded.header !== undefined) {
    lines.push('header (not verified):');
    for (const [name, value] of Object.entries(decoded.header)) lines.push(`  ${renderName(name)}: ${formatValue(name, value, now)}`);
  }
  if (decoded.payload !== undefined) {
    lines.push('claims (not verified):');
    for (const [name, value] of Object.entries(decoded.payload)) lines.push(`  ${renderName(name)}: ${formatValue(name, value, now)}`);
  }
  if (decoded.problem !== undefined) lines.push(`cannot decode: ${decoded.problem}`);

  if (!wantsVerification(options)) {
    lines.push('not verified: pass --issuer, --audience and a key (--jwks-uri, --jwks, --jwks-env, --public-key, --public-key-env, --secret-env) to run the verifier.');
    // A token that does not even decode is refused whether or not a key was given.
    return { decoded, lines: lines.map(escapeForTerminal), verified: undefined, exitCode: decoded.problem === undefined ? EXIT.ok : EXIT.refused };
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
  // With discovery, an issuer mismatch surfaces as key_source_unavailable; keep the real cause.
  let discoveryMismatch: { url: string; expected: string; found: string } | undefined;
  verifierOpts.onKeyEvent = (event) => {
    if (event.type === 'issuer_mismatch') discoveryMismatch ??= event;
  };
  try {
    const verifier = createVerifier(verifierOpts);
    context.algorithms = verifier.algorithms;
    const auth = await verifier.verify(token);
    lines.push(`✔ verified: signature, issuer, audience and times check out (alg ${auth.header.alg ?? '?'}, scopes: ${[...auth.scopes].join(' ') || 'none'}).`);
    return { decoded, lines: lines.map(escapeForTerminal), verified: true, exitCode: EXIT.ok };
  } catch (error) {
    const guardError = isJwtGuardError(error)
      ? error
      : new JwtGuardError('token_malformed', 'The access token is malformed.', { hint: error instanceof Error ? error.message : String(error) });
    let explanation = safeExplain(guardError, context);
    let exitCode = EXIT_FOR[guardError.code] ?? EXIT.refused;
    if (discoveryMismatch !== undefined && guardError.code === 'key_source_unavailable') {
      explanation =
        `issuer_mismatch: ${explainDiscoveryIssuerMismatch(discoveryMismatch.found, discoveryMismatch.expected, discoveryMismatch.url)} ` +
        '(The keys were therefore not fetched: this is not a reachability problem.)';
      exitCode = EXIT.usage;
    }
    lines.push(`✘ ${explanation}`);
    // The core's hints come from the same explanations: one that says nothing new is not repeated.
    if (guardError.hint !== undefined && !explanation.endsWith(guardError.hint)) lines.push(`  (core hint: ${guardError.hint})`);
    return {
      decoded,
      lines: lines.map(escapeForTerminal),
      verified: false,
      error: { code: explanation.slice(0, explanation.indexOf(':')), explanation, ...(guardError.hint === undefined ? {} : { hint: guardError.hint }) },
      exitCode,
    };
  }
}
