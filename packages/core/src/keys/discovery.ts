import { JwtGuardError } from '../errors.js';
import { explainDiscoveryIssuerMismatch } from '../explanations.js';
import { backoffMs } from './backoff.js';
import { describeError, fetchJson, HttpStatusError, type FetchJsonOptions } from './fetch-json.js';
import type { KeySource } from './key-source.js';
import type { KeyEventListener } from './key-events.js';
import { insecureKeyUrl, redactUrl } from './key-url.js';
import { remoteJwksSource, type RemoteJwksOptions, type RemoteJwksSource } from './remote-jwks.js';
import { atStartUp } from './start-up-error.js';

/** Where an issuer publishes its metadata: OpenID Connect Discovery first, then RFC 8414. */
export function discoveryUrls(issuer: string): URL[] {
  const base = new URL(issuer);
  const path = base.pathname.replace(/\/$/, '');
  return [
    new URL(`${base.origin}${path}/.well-known/openid-configuration`),
    new URL(`${base.origin}/.well-known/oauth-authorization-server${path}`),
  ];
}

/** A metadata document that could not be read, with the URL of the last attempt. */
export class DiscoveryFetchError extends Error {
  constructor(
    readonly url: URL,
    override readonly cause: unknown,
  ) {
    super(describeError(cause));
  }
}

/**
 * Reads the issuer's metadata document: OpenID Connect Discovery first, and the RFC 8414 location
 * only when that answers 404. Returns the document unchecked, with the URL it came from; throws a
 * `DiscoveryFetchError` naming the URL that failed (a `TypeError` when the issuer is not a URL).
 */
export async function fetchDiscoveryDocument(issuer: string, options: FetchJsonOptions): Promise<{ url: URL; body: unknown }> {
  let failure: DiscoveryFetchError | undefined;
  for (const url of discoveryUrls(issuer)) {
    try {
      const { body } = await fetchJson(url, options);
      return { url, body };
    } catch (error) {
      failure = new DiscoveryFetchError(url, error);
      if (!(error instanceof HttpStatusError && error.status === 404)) break;
    }
  }
  throw failure!;
}

/**
 * `discovery: true`: the JWKS URL comes from the issuer's own metadata document, whose `issuer`
 * must equal the configured one exactly (OpenID Connect Discovery §4.3, RFC 8414 §3.3). The
 * document is read once; a failed read is retried with backoff, never cached.
 */
export function discoveredJwksSource(
  issuer: string,
  remote: Omit<RemoteJwksOptions, 'url'>,
  emit: KeyEventListener,
  now: () => number = Date.now,
): KeySource & { ready(): Promise<void> } {
  let jwks: RemoteJwksSource | undefined;
  let inFlight: Promise<RemoteJwksSource> | undefined;
  let failures = 0;
  let retryAt = 0;
  let lastFailure = '';

  async function discover(): Promise<RemoteJwksSource> {
    const started = now();
    const { url, body } = await fetchDiscoveryDocument(issuer, { timeoutMs: remote.timeoutMs, maxBytes: remote.maxBytes }).catch((error: unknown) => {
      // The failure is described by its cause (a timeout, an HTTP status), as for a JWKS fetch.
      throw error instanceof DiscoveryFetchError ? error.cause : error;
    });
    const document = (body ?? {}) as { issuer?: unknown; jwks_uri?: unknown };
    if (document.issuer !== issuer) {
      const found = typeof document.issuer === 'string' ? document.issuer.slice(0, 200) : String(document.issuer);
      emit({ type: 'issuer_mismatch', url: redactUrl(url), expected: issuer, found });
      throw new Error(explainDiscoveryIssuerMismatch(document.issuer, issuer).replace(/\.$/, ''));
    }
    if (typeof document.jwks_uri !== 'string') throw new Error('the discovery document has no jwks_uri');
    let jwksUri: URL;
    try {
      jwksUri = new URL(document.jwks_uri);
    } catch {
      throw new Error('the discovery document has a jwks_uri that is not a URL');
    }
    const insecure = insecureKeyUrl(jwksUri, remote.allowInsecureHttp);
    if (insecure !== undefined) {
      throw new Error(`the discovery document's jwks_uri (${redactUrl(jwksUri)}) is refused: ${insecure} (allowInsecureHttpKeys: true accepts it)`);
    }
    emit({ type: 'discovery_fetched', url: redactUrl(url), jwksUri: redactUrl(jwksUri), durationMs: now() - started });
    return remoteJwksSource({ ...remote, url: jwksUri });
  }

  async function source(): Promise<RemoteJwksSource> {
    if (jwks) return jwks;
    if (!inFlight) {
      if (now() < retryAt) throw unavailable();
      inFlight = discover()
        .then((found) => {
          jwks = found;
          return found;
        })
        .catch((error: unknown) => {
          failures += 1;
          retryAt = now() + backoffMs(failures);
          lastFailure = describeError(error);
          emit({ type: 'discovery_failed', url: redactUrl(discoveryUrls(issuer)[0]!), reason: lastFailure });
          throw unavailable();
        })
        .finally(() => {
          inFlight = undefined;
        });
    }
    return inFlight;
  }

  function unavailable(): JwtGuardError {
    return new JwtGuardError('key_source_unavailable', 'The token signing keys are temporarily unavailable.', {
      hint: `discovery for ${redactUrl(issuer)}: ${lastFailure || 'not fetched yet'}`,
    });
  }

  return {
    kind: 'jwksUri',
    staticKeys: undefined,
    async ready() {
      // The JWKS source's own ready() words its failures for start-up itself.
      const found = await source().catch((error: unknown) => {
        throw atStartUp(error);
      });
      await found.ready();
    },
    isCurrent: (key) => jwks?.isCurrent?.(key) === true,
    candidates(header, alg, kid, token) {
      // Once discovered, the JWKS source answers (synchronously when it can) without another hop.
      if (jwks) return jwks.candidates(header, alg, kid, token);
      return source().then((found) => found.candidates(header, alg, kid, token));
    },
  };
}
