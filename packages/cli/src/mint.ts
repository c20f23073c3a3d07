import { createPrivateKey, createPublicKey, createSecretKey, randomUUID, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createVerifier, isJwtGuardError, type SecretEncoding } from '@jwt-guard/core';
import { SignJWT } from 'jose';
import { secretBytesFromEnv } from './secret.js';
import { parseSpan, UsageError } from './time.js';

export interface MintCliOptions {
  /** Name of the env var holding an HMAC secret. */
  secretEnv?: string;
  /** How the app reads that secret (`secretFromEnv(name, { encoding })`); without it, the text as is (UTF-8). */
  secretEncoding?: SecretEncoding;
  /** Name of the env var holding a PEM private key (`\n` escapes allowed). */
  privateKeyEnv?: string;
  /** Path of a PEM (PKCS#8) private key or a private JWK (JSON). */
  privateKeyFile?: string;
  alg?: string;
  kid?: string;
  issuer?: string;
  audience?: string[];
  subject?: string;
  scopes?: string[];
  /** `15m`, `1h`, … Default `15m`. */
  expiresIn?: string;
  notBefore?: string;
  typ?: string;
  /** `name=value`: value parsed as JSON when it is JSON, else a string. */
  claims?: string[];
  force?: boolean;
  /** The environment to read (tests). Default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Told what mint chose on its own (the kid it found) or what may go wrong (no kid). */
  onWarning?: (message: string) => void;
}

// Not `.internal` (cloud VPC names: metadata.google.internal, *.ec2.internal) and not Kubernetes'
// `.svc.cluster.local`: those are real, often production, services.
const LOCAL_SUFFIXES = ['.localhost', '.test', '.local', '.example', '.invalid'];
const NOT_LOCAL_SUFFIXES = ['.cluster.local', '.svc', '.internal'];
const EXAMPLE_DOMAINS = ['example.com', 'example.net', 'example.org'];

/** Why these keys or this issuer look like production, or undefined when they look local. */
export function productionReasons(options: MintCliOptions): string[] {
  const reasons: string[] = [];
  const env = options.env ?? process.env;
  for (const name of [options.secretEnv, options.privateKeyEnv]) {
    if (name !== undefined && /PROD|PRD|LIVE/i.test(name)) reasons.push(`the key comes from $${name}, whose name says production`);
  }
  if (options.privateKeyFile !== undefined && /prod|prd|live/i.test(options.privateKeyFile)) {
    reasons.push(`the key file ${options.privateKeyFile} is named like a production key`);
  }
  if (env.NODE_ENV === 'production') reasons.push('NODE_ENV is "production"');
  if (options.issuer !== undefined) {
    let host: string | undefined;
    try {
      host = new URL(options.issuer).hostname.replace(/^\[|\]$/g, '').toLowerCase();
    } catch {
      host = undefined;
    }
    if (host === undefined) reasons.push(`the issuer ${JSON.stringify(options.issuer)} is not a URL, so it cannot be shown to be local`);
    else if (!isLocalHost(host)) {
      reasons.push(`the issuer's host ${host} is not localhost, 127.0.0.1, *.test, *.local (but not *.svc.cluster.local), *.localhost or an example domain`);
    }
  }
  return reasons;
}

export function isLocalHost(host: string): boolean {
  if (NOT_LOCAL_SUFFIXES.some((suffix) => host.endsWith(suffix))) return false;
  if (host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)) return true;
  if (LOCAL_SUFFIXES.some((suffix) => host.endsWith(suffix))) return true;
  return EXAMPLE_DOMAINS.some((domain) => host === domain || host.endsWith(`.${domain}`));
}

interface SigningKey {
  key: KeyObject;
  alg: string;
  /** The kid the key itself names (a private JWK's `kid`), or one found beside it in the environment. */
  kid?: string;
  /** Where that kid came from, to tell the user. */
  kidFrom?: string;
}

/**
 * mint must never make what the verifier refuses: the same secret checks (length, placeholder
 * heuristic) as `createVerifier`, by asking it.
 */
function checkSecretLikeTheVerifier(secret: string | Uint8Array, alg: string, name: string): void {
  try {
    createVerifier({ secret, algorithms: [alg as 'HS256'], issuer: 'http://localhost/', audience: 'mint-check' });
  } catch (error) {
    if (isJwtGuardError(error) && error.code === 'config_invalid') {
      throw new UsageError(`mint: $${name} would be refused by the verifier: ${error.message.replace(/^jwt-guard configuration: /, '')}`);
    }
    throw error;
  }
}

/** `JWT_PRIVATE_KEY` → `JWT`: where keygen put the kid (`JWT_KID`) and the public set (`JWT_JWKS`). */
function envPrefix(name: string | undefined, suffix: string): string | undefined {
  return name !== undefined && name.endsWith(suffix) ? name.slice(0, -suffix.length) : undefined;
}

/** The JWK in `jwksText` whose public part is `key`'s (keygen's `$X_JWKS` entry for this private key), if any. */
function matchingJwk(jwksText: string, key: KeyObject): { kid?: string; alg?: string } | undefined {
  try {
    const jwks = JSON.parse(jwksText) as { keys?: Array<Record<string, unknown>> };
    const mine = createPublicKey(key).export({ format: 'jwk' }) as Record<string, unknown>;
    const same = (jwk: Record<string, unknown>): boolean => ['n', 'x', 'y'].every((field) => jwk[field] === mine[field]);
    const found = (jwks.keys ?? []).find(same);
    if (found === undefined) return undefined;
    return { ...(typeof found.kid === 'string' ? { kid: found.kid } : {}), ...(typeof found.alg === 'string' ? { alg: found.alg } : {}) };
  } catch {
    return undefined;
  }
}

async function signingKey(options: MintCliOptions): Promise<SigningKey> {
  const env = options.env ?? process.env;
  const sources = [options.secretEnv, options.privateKeyEnv, options.privateKeyFile].filter((value) => value !== undefined);
  if (sources.length !== 1) throw new UsageError('mint: give exactly one key: --secret-env NAME, --private-key-env NAME or --private-key FILE.');
  if (options.secretEnv !== undefined) {
    const secret = env[options.secretEnv];
    if (secret === undefined || secret === '') throw new UsageError(`mint: $${options.secretEnv} is not set.`);
    const alg = options.alg ?? 'HS256';
    const minimum = { HS256: 32, HS384: 48, HS512: 64 }[alg];
    if (minimum === undefined) throw new UsageError(`mint: a secret signs HS256, HS384 or HS512, not ${alg}.`);
    // The bytes the app's secretFromEnv(name, { encoding }) gets: the length and placeholder checks are on those.
    let bytes: string | Uint8Array;
    try {
      bytes = secretBytesFromEnv(options.secretEnv, options.secretEncoding, env, alg as 'HS256');
    } catch (error) {
      // Core names the variable; say it the way mint's other refusals do.
      const strength = `${options.secretEnv}: `;
      if (error instanceof UsageError && error.message.startsWith(strength)) throw new UsageError(`mint: $${options.secretEnv} would be refused by the verifier: ${error.message.slice(strength.length)}`);
      if (error instanceof UsageError) throw new UsageError(`mint: ${error.message}`);
      throw error;
    }
    const key = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes);
    if (key.byteLength < minimum) throw new UsageError(`mint: $${options.secretEnv} is shorter than ${minimum} bytes, too weak for ${alg} (jwt-guard would refuse it too).`);
    checkSecretLikeTheVerifier(bytes, alg, options.secretEnv);
    const kidName = `${options.secretEnv}_KID`;
    const kid = env[kidName];
    return { key: createSecretKey(key), alg, ...(kid === undefined || kid === '' ? {} : { kid, kidFrom: `$${kidName}` }) };
  }
  let text: string;
  if (options.privateKeyEnv !== undefined) {
    const value = env[options.privateKeyEnv];
    if (value === undefined || value === '') throw new UsageError(`mint: $${options.privateKeyEnv} is not set.`);
    text = value.replace(/\\n/g, '\n');
  } else {
    const file = (options.privateKeyFile as string).trim();
    if (file.startsWith('{') || file.startsWith('-----BEGIN')) {
      throw new UsageError('mint: --private-key takes a file path, but this looks like the key itself; use --private-key-env NAME to read it from an environment variable.');
    }
    try {
      text = await readFile(options.privateKeyFile as string, 'utf8');
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT') throw new UsageError(`mint: --private-key: file not found: ${options.privateKeyFile as string}`);
      throw error;
    }
  }
  let key: KeyObject;
  let jwk: Record<string, unknown> | undefined;
  try {
    if (text.trim().startsWith('{')) {
      jwk = JSON.parse(text) as Record<string, unknown>;
      key = createPrivateKey({ key: jwk as never, format: 'jwk' });
    } else {
      key = createPrivateKey(text);
    }
  } catch {
    throw new UsageError('mint: the private key is neither a PKCS#8/PKCS#1/SEC1 PEM private key nor a private JWK.');
  }
  // A JWK that names its alg is signed with that alg only (RFC 7517 §4.4): a PS256 key mints PS256.
  // So is a PEM whose public half keygen published with its alg in $X_JWKS.
  const prefix = envPrefix(options.privateKeyEnv, '_PRIVATE_KEY');
  const jwksName = prefix === undefined ? undefined : `${prefix}_JWKS`;
  const published = jwksName !== undefined && env[jwksName] !== undefined ? matchingJwk(env[jwksName], key) : undefined;
  const declared = jwk !== undefined && typeof jwk.alg === 'string' ? { alg: jwk.alg, from: "the private JWK's own alg" } : published?.alg !== undefined ? { alg: published.alg, from: `the matching key in $${jwksName as string}, whose alg is` } : undefined;
  let alg = options.alg;
  if (declared !== undefined) {
    if (alg !== undefined && alg !== declared.alg) throw new UsageError(`mint: --alg ${alg} conflicts with ${declared.from} ${declared.alg}; drop --alg.`);
    alg = declared.alg;
  }
  alg ??= inferAlg(key, options.onWarning);
  if (jwk !== undefined && typeof jwk.kid === 'string') return { key, alg, kid: jwk.kid, kidFrom: "the private JWK's kid" };
  if (published?.kid !== undefined) return { key, alg, kid: published.kid, kidFrom: `the matching key in $${jwksName as string}` };
  const kid = prefix === undefined ? undefined : env[`${prefix}_KID`];
  if (kid !== undefined && kid !== '') return { key, alg, kid, kidFrom: `$${prefix as string}_KID` };
  return { key, alg };
}

/** The alg a key's type implies; an RSA key fits six, so RS256 is only assumed, and said. */
function inferAlg(key: KeyObject, onWarning: ((message: string) => void) | undefined): string {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      onWarning?.('warning: alg RS256 assumed for an RSA key; pass --alg PS256|RS384|RS512|PS384|PS512 if the verifier expects another.');
      return 'RS256';
    case 'rsa-pss':
      return 'PS256';
    case 'ed25519':
      return 'EdDSA';
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      const alg = { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' }[curve ?? ''];
      if (alg !== undefined) return alg;
      throw new UsageError(`mint: unsupported EC curve ${curve ?? '?'}.`);
    }
    default:
      throw new UsageError(`mint: unsupported key type ${key.asymmetricKeyType ?? '?'}; pass --alg.`);
  }
}

function parseClaim(entry: string): [string, unknown] {
  const at = entry.indexOf('=');
  if (at <= 0) throw new UsageError(`mint: --claim ${JSON.stringify(entry)} must look like name=value.`);
  const name = entry.slice(0, at);
  const raw = entry.slice(at + 1);
  try {
    return [name, JSON.parse(raw)];
  } catch {
    return [name, raw];
  }
}

/**
 * Mints a token for local development. Refuses keys or an issuer that look like production
 * (see {@link productionReasons}) unless `force` is set.
 */
export async function mintDevToken(options: MintCliOptions): Promise<string> {
  if (options.issuer === undefined) throw new UsageError('mint: --issuer is required (e.g. http://localhost:3000/).');
  if (options.audience === undefined || options.audience.length === 0) throw new UsageError('mint: --audience is required.');
  const reasons = productionReasons(options);
  if (reasons.length > 0 && options.force !== true) {
    throw new UsageError(`mint refuses: ${reasons.join('; ')}. mint is for local development; pass --force if these keys really are not production keys.`);
  }
  const { key, alg, kid: keyKid, kidFrom } = await signingKey(options);
  let kid = options.kid;
  if (kid !== undefined && keyKid !== undefined && kid !== keyKid && kidFrom === "the private JWK's kid") {
    throw new UsageError(`mint: --kid ${JSON.stringify(kid)} conflicts with the private JWK's own kid ${JSON.stringify(keyKid)}; drop --kid.`);
  }
  if (kid === undefined && keyKid !== undefined) {
    kid = keyKid;
    if (kidFrom !== "the private JWK's kid") options.onWarning?.(`kid ${JSON.stringify(kid)} taken from ${kidFrom ?? 'the key'}.`);
  }
  if (kid === undefined && !alg.startsWith('HS')) {
    options.onWarning?.(
      'warning: this token has no kid, but keygen gives every key pair one (JWT_KID, and in JWT_JWKS): jwt-guard then has to try each key in turn, and other verifiers refuse it. Pass --kid "$JWT_KID", or a private JWK that has its kid.',
    );
  }
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = Object.fromEntries((options.claims ?? []).map(parseClaim));
  if (options.scopes !== undefined && options.scopes.length > 0) claims.scope = options.scopes.join(' ');
  const header: Record<string, unknown> = { alg, typ: options.typ ?? 'JWT' };
  if (kid !== undefined) header.kid = kid;
  const jwt = new SignJWT(claims)
    .setProtectedHeader(header as { alg: string })
    .setIssuer(options.issuer)
    .setAudience(options.audience.length === 1 ? (options.audience[0] as string) : options.audience)
    .setSubject(options.subject ?? 'dev-user')
    .setIssuedAt(now)
    .setJti(randomUUID())
    .setExpirationTime(now + parseSpan(options.expiresIn ?? '15m', '--exp'));
  if (options.notBefore !== undefined) jwt.setNotBefore(now + parseSpan(options.notBefore, '--nbf'));
  return jwt.sign(key);
}
