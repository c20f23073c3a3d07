import {
  cacheControlMaxAge,
  describeError,
  DiscoveryFetchError,
  explainDiscoveryIssuerMismatch,
  fetchDiscoveryDocument,
  fetchJson,
  HttpStatusError,
  isJwtGuardError,
  keyFamilyOf,
  secretFromEnv,
  type FetchedJson,
} from '@jwt-guard/core';
import { finding, type Finding } from './audit-findings.js';
import { auditKeySet, type EcCurve, type KeySetFacts } from './audit-keys.js';
import { auditTokens } from './audit-tokens.js';
import { readEnv, readJwksOption, type InspectOptions } from './inspect.js';
import { renderValue } from './terminal.js';

/** What `jwt-guard audit` reviews: inspect's configuration (flags or `--config`), and the audit's policy. */
export interface AuditOptions extends InspectOptions {
  /** Longest acceptable token lifetime (exp − iat), in seconds. Default 3600. */
  maxLifetime: number;
  /** Smallest acceptable EC curve. Default P-256. */
  minEcCurve: EcCurve;
  /** Whether the API checks revocation (then tokens need a `jti`); also true when `revokedJtis` is given. */
  revocation: boolean;
  /** Per HTTP request: the discovery document and the JWKS. Default 5000 ms. */
  timeoutMs: number;
  /** Largest discovery document or JWKS read, in bytes. Default 1 MiB. */
  maxBytes: number;
}

/** What was looked at, for the report's summary. */
export interface AuditScope {
  discovery?: string;
  jwks?: string;
  tokens: number;
}

const A_DAY = 86_400;

async function fetchEndpoint(url: URL, options: AuditOptions): Promise<FetchedJson | { problem: string }> {
  try {
    return await fetchJson(url, { timeoutMs: options.timeoutMs, maxBytes: options.maxBytes });
  } catch (error) {
    return { problem: problemOf(error, options) };
  }
}

function problemOf(error: unknown, options: AuditOptions): string {
  const problem = describeError(error).replace('within jwksTimeout', `within ${options.timeoutMs} ms (--timeout)`);
  return error instanceof HttpStatusError ? `it answered ${problem}` : problem;
}

/** The issuer's metadata, read as the verifier reads it (core's fetchDiscoveryDocument: OpenID Connect Discovery, then RFC 8414 on a 404). */
async function auditDiscovery(issuer: string, options: AuditOptions, findings: Finding[], scope: AuditScope): Promise<{ jwksUri?: string; algorithms: string[] }> {
  let fetched: { url: URL; body: unknown };
  try {
    fetched = await fetchDiscoveryDocument(issuer, { timeoutMs: options.timeoutMs, maxBytes: options.maxBytes });
  } catch (error) {
    if (!(error instanceof DiscoveryFetchError)) {
      findings.push(finding('discovery.invalid', `the issuer ${renderValue(issuer)} is not a URL, so there is no discovery document to read.`, issuer));
      return { algorithms: [] };
    }
    scope.discovery = error.url.href;
    findings.push(finding('discovery.unreachable', `the discovery document at ${error.url.href} could not be read: ${problemOf(error.cause, options)}.`, error.url.href));
    return { algorithms: [] };
  }
  const { url } = fetched;
  scope.discovery = url.href;
  const document = fetched.body as Record<string, unknown> | null;
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    findings.push(finding('discovery.invalid', `the discovery document at ${url.href} is not a JSON object.`, url.href));
    return { algorithms: [] };
  }
  if (document.issuer !== issuer) findings.push(finding('discovery.issuer_mismatch', explainDiscoveryIssuerMismatch(document.issuer, issuer, url.href), url.href));
  const advertised = ['id_token_signing_alg_values_supported', 'userinfo_signing_alg_values_supported', 'introspection_signing_alg_values_supported']
    .flatMap((name) => (Array.isArray(document[name]) ? (document[name] as unknown[]) : []))
    .filter((alg): alg is string => typeof alg === 'string');
  const algorithms = [...new Set(advertised)].slice(0, 50);
  if (typeof document.jwks_uri !== 'string') {
    findings.push(finding('discovery.invalid', `the discovery document at ${url.href} has no "jwks_uri".`, url.href));
    return { algorithms };
  }
  return { jwksUri: document.jwks_uri, algorithms };
}

function auditCacheControl(header: string | null, url: string, findings: Finding[]): void {
  const maxAge = cacheControlMaxAge(header);
  if (header === null || maxAge === undefined) {
    findings.push(finding('jwks.cache_control_missing', `the JWKS at ${url} has ${header === null ? 'no Cache-Control header' : `Cache-Control ${renderValue(header)} without max-age`}.`, url));
  } else if (maxAge === 0) {
    findings.push(finding('jwks.cache_control_no_cache', `the JWKS at ${url} says Cache-Control ${renderValue(header)}: no verifier may cache it.`, url));
  } else if (maxAge > A_DAY) {
    findings.push(finding('jwks.cache_control_too_long', `the JWKS at ${url} may be cached for ${maxAge} s (Cache-Control ${renderValue(header)}), more than a day.`, url));
  }
}

async function auditRemoteJwks(jwksUri: string, options: AuditOptions, findings: Finding[], scope: AuditScope): Promise<KeySetFacts | undefined> {
  scope.jwks = jwksUri;
  let url: URL;
  try {
    url = new URL(jwksUri);
  } catch {
    findings.push(finding('jwks.unreachable', `the JWKS URL ${renderValue(jwksUri)} is not a URL.`, jwksUri));
    return undefined;
  }
  const fetched = await fetchEndpoint(url, options);
  if ('problem' in fetched) {
    findings.push(finding('jwks.unreachable', `the JWKS at ${url.href} could not be read: ${fetched.problem}.`, url.href));
    return undefined;
  }
  auditCacheControl(fetched.cacheControl, url.href, findings);
  return auditKeySet(fetched.body, `the JWKS at ${url.href}`, options.minEcCurve, findings);
}

/** An unknown name is its own family: two of them, or one beside a known family, are still a mix. */
const familyOf = (alg: string): string => keyFamilyOf(alg) ?? alg;

function auditAlgorithms(options: AuditOptions, keys: KeySetFacts | undefined, advertised: string[], findings: Finding[]): void {
  const allowed = options.algorithms ?? [];
  if (allowed.some((alg) => alg.toLowerCase() === 'none')) findings.push(finding('algorithms.none', 'the algorithm allowlist holds "none".', 'algorithms'));
  const families = new Set(allowed.filter((alg) => alg.toLowerCase() !== 'none').map(familyOf));
  if (families.size > 1) findings.push(finding('algorithms.mixed_families', `the allowlist mixes key families (${[...families].join(', ')}): ${allowed.join(', ')}.`, 'algorithms'));
  else if (keys !== undefined && keys.families.size > 1) {
    findings.push(finding('algorithms.mixed_families', `the JWKS mixes key families: ${[...keys.families].join(', ')}.`, 'jwks'));
  }
  const hmacConfigured = allowed.some((alg) => familyOf(alg) === 'oct') || options.secretEnv !== undefined || options.secret !== undefined;
  if (hmacConfigured && keys?.asymmetric === true) {
    findings.push(finding('algorithms.hmac_with_asymmetric', 'HMAC (HS*) is configured, but the issuer publishes asymmetric keys.', 'algorithms'));
  }
  if (advertised.includes('none')) findings.push(finding('discovery.alg_none', 'the issuer advertises the "none" algorithm in its metadata.', 'discovery'));
  const hmac = advertised.filter((alg) => familyOf(alg) === 'oct');
  if (hmac.length > 0 && keys?.asymmetric === true) findings.push(finding('discovery.hmac_alg', `the issuer, which publishes asymmetric keys, also advertises ${hmac.join(', ')}.`, 'discovery'));
}

function auditSecret(options: AuditOptions, findings: Finding[]): void {
  if (options.secretEnv === undefined) return;
  const hmac = (options.algorithms ?? []).find((alg): alg is 'HS256' | 'HS384' | 'HS512' => alg === 'HS256' || alg === 'HS384' || alg === 'HS512') ?? 'HS256';
  const env = options.env ?? process.env;
  readEnv(options.secretEnv, env); // unset is a usage error (exit 2), as for inspect; what it holds is a finding
  try {
    secretFromEnv(options.secretEnv, { env, algorithm: hmac, ...(options.secretEncoding === undefined ? {} : { encoding: options.secretEncoding }) });
  } catch (error) {
    if (!isJwtGuardError(error)) throw error;
    findings.push(finding('secret.weak', error.message.replace(/^jwt-guard configuration: /, ''), `$${options.secretEnv}`));
  }
}

/**
 * Reviews a configuration, the endpoints it names and sample tokens. Never throws for what an
 * endpoint or a token holds: an unreachable endpoint, garbage JSON or an odd token is a finding.
 */
export async function audit(options: AuditOptions, tokens: readonly string[]): Promise<{ findings: Finding[]; scope: AuditScope }> {
  const findings: Finding[] = [];
  const scope: AuditScope = { tokens: tokens.length };
  const issuers = options.issuer === false ? [] : (options.issuer ?? []);
  let advertised: string[] = [];
  let jwksUri = options.jwksUri;
  if (options.discovery === true) {
    for (const issuer of issuers) {
      const discovered = await auditDiscovery(issuer, options, findings, scope);
      advertised = [...advertised, ...discovered.algorithms];
      jwksUri ??= discovered.jwksUri;
    }
  }
  let keys: KeySetFacts | undefined;
  if (jwksUri !== undefined) keys = await auditRemoteJwks(jwksUri, options, findings, scope);
  const local = await readJwksOption(options);
  if (local !== undefined) keys = auditKeySet(local.jwks, local.where, options.minEcCurve, findings) ?? keys;

  auditAlgorithms(options, keys, advertised, findings);
  auditSecret(options, findings);
  if (options.typ === undefined) {
    findings.push(finding('config.typ_not_required', 'the configuration does not require a "typ" on tokens.', 'typ'));
  }
  auditTokens(tokens, { ...options, revocation: options.revocation || (options.revokedJtis?.length ?? 0) > 0, kids: keys?.kids }, findings);
  return { findings, scope };
}
