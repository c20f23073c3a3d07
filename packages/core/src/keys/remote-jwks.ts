import { JwtGuardError } from '../errors.js';
import { backoffMs } from './backoff.js';
import type { JWK } from '../options.js';
import { cacheControlMaxAge, describeError, fetchJson } from './fetch-json.js';
import { importJwk } from './import.js';
import { printable, type KeyEventListener } from './key-events.js';
import type { KeySource } from './key-source.js';
import { redactUrl, redactUrlIn } from './key-url.js';
import { selectKeys, type VerificationKey } from './verification-key.js';

export interface RemoteJwksOptions {
  url: URL;
  /** Upper bound on how long fetched keys are used before a refresh; also the default lifetime. */
  maxAgeMs: number;
  /** Lower bound on a `Cache-Control: max-age`, so `max-age=0` cannot cause a fetch per request. */
  minAgeMs: number;
  /** Minimum time between two fetches caused by unknown `kid`s. */
  cooldownMs: number;
  timeoutMs: number;
  maxBytes: number;
  /** How long expired keys keep verifying while the endpoint fails (stale-if-error). */
  staleIfErrorMs: number;
  explicitAlgorithms: boolean;
  /** `allowInsecureHttpKeys`: plain http key URLs off the loopback interface are accepted (a discovered `jwks_uri` too). */
  allowInsecureHttp: boolean;
  emit: KeyEventListener;
  now?: () => number;
}

/** Refresh in the background once this share of the keys' lifetime has passed. */
const REFRESH_AHEAD = 0.8;

export interface RemoteJwksSource extends KeySource {
  /** Fetches the keys now (deduplicated) and resolves once usable keys are held. */
  ready(): Promise<void>;
}

/**
 * A JWKS fetched over HTTP, built so that an identity provider's rotations and outages do not become
 * outages of ours:
 * - keys live for `Cache-Control: max-age` clamped to [minAge, maxAge], and are refreshed in the
 *   background before they expire, so no request waits on a refresh in the steady state;
 * - an unknown `kid` causes at most one fetch per cooldown, shared by every concurrent request;
 * - a failed fetch is never cached: the previous keys stay in use (stale-if-error, within a grace
 *   period) and attempts back off exponentially; recovery needs no restart;
 * - only a source with no usable keys answers `key_source_unavailable` (503).
 */
export function remoteJwksSource(options: RemoteJwksOptions): RemoteJwksSource {
  const now = options.now ?? Date.now;
  // As events and hints write it: the query (API keys) and user info redacted.
  const url = redactUrl(options.url);
  let keys: VerificationKey[] | undefined;
  let fetchedAt = 0;
  let refreshAt = 0;
  let expiresAt = 0;
  let lastAttemptAt = Number.NEGATIVE_INFINITY;
  let consecutiveFailures = 0;
  let retryAt = 0;
  let lastFailure = '';
  let inFlight: Promise<VerificationKey[]> | undefined;

  function refresh(): Promise<VerificationKey[]> {
    if (inFlight) return inFlight;
    const started = now();
    lastAttemptAt = started;
    inFlight = fetchKeys(options)
      .then(({ fresh, maxAgeSeconds }) => {
        const lifetime = Math.min(options.maxAgeMs, Math.max(options.minAgeMs, (maxAgeSeconds ?? Infinity) * 1000));
        keys = fresh;
        fetchedAt = now();
        expiresAt = fetchedAt + lifetime;
        refreshAt = fetchedAt + lifetime * REFRESH_AHEAD;
        consecutiveFailures = 0;
        retryAt = 0;
        options.emit({ type: 'keys_fetched', url, keyCount: fresh.length, durationMs: now() - started });
        return fresh;
      })
      .catch((error: unknown) => {
        consecutiveFailures += 1;
        const backoff = backoffMs(consecutiveFailures);
        retryAt = now() + backoff;
        lastFailure = redactUrlIn(describeError(error), options.url);
        options.emit({
          type: 'keys_fetch_failed',
          url,
          reason: lastFailure,
          durationMs: now() - started,
          consecutiveFailures,
          retryInMs: backoff,
        });
        throw error;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  }

  const mayFetch = () => inFlight !== undefined || now() >= retryAt;

  function unavailable(): JwtGuardError {
    return new JwtGuardError('key_source_unavailable', 'The token signing keys are temporarily unavailable.', {
      hint: `JWKS ${url}: ${lastFailure || 'no keys fetched yet'}`,
    });
  }

  /** The keys to verify with now, fetching first only when there are none usable. */
  async function currentKeys(): Promise<VerificationKey[]> {
    const time = now();
    if (keys !== undefined && time < expiresAt) {
      // Fresh. Past the refresh point, renew in the background; this request does not wait.
      if (time >= refreshAt && mayFetch()) refresh().catch(() => undefined);
      return keys;
    }
    if (mayFetch()) {
      try {
        return await refresh();
      } catch {
        // Fall through to stale keys, if any are still within their grace period.
      }
    }
    if (keys !== undefined && now() < expiresAt + options.staleIfErrorMs) {
      options.emit({ type: 'stale_keys_served', url, ageMs: now() - fetchedAt });
      return keys;
    }
    throw unavailable();
  }

  return {
    kind: 'jwksUri',
    staticKeys: undefined,
    async ready() {
      await currentKeys();
    },
    // A cached verdict is trusted only while its key is held and within its lifetime; past the
    // refresh point it also starts the background refresh that an uncached request would.
    isCurrent: (key) => {
      const time = now();
      if (keys === undefined || time >= expiresAt || !keys.includes(key)) return false;
      if (time >= refreshAt && mayFetch()) refresh().catch(() => undefined);
      return true;
    },
    candidates(_header, alg, kid) {
      // The steady state answers synchronously: fresh keys held, and the token's kid among them.
      const time = now();
      if (keys !== undefined && time < expiresAt) {
        if (time >= refreshAt && mayFetch()) refresh().catch(() => undefined);
        const found = selectKeys(keys, alg, kid, options.explicitAlgorithms);
        if (found.length > 0 || kid === undefined || keys.some((key) => key.kid === kid)) return found;
      }
      return candidatesAfterFetch(alg, kid);
    },
  };

  /** No fresh keys, or an unknown kid: fetch (within the cooldown and backoff rules) and select again. */
  async function candidatesAfterFetch(alg: Parameters<KeySource['candidates']>[1], kid: string | undefined): Promise<VerificationKey[]> {
    const held = await currentKeys();
    const found = selectKeys(held, alg, kid, options.explicitAlgorithms);
    if (found.length > 0 || kid === undefined || held.some((key) => key.kid === kid)) return found;
    // An unknown kid: perhaps the provider rotated. Refetch at most once per cooldown.
    const refetch = inFlight !== undefined || (now() - lastAttemptAt >= options.cooldownMs && now() >= retryAt);
    options.emit({ type: 'unknown_kid', url, kid: printable(kid), refetched: refetch });
    if (!refetch) return found;
    try {
      return selectKeys(await refresh(), alg, kid, options.explicitAlgorithms);
    } catch {
      // The endpoint failed, but we still hold keys: the token simply has no key among them.
      return found;
    }
  };
}

async function fetchKeys(options: RemoteJwksOptions): Promise<{ fresh: VerificationKey[]; maxAgeSeconds: number | undefined }> {
  const { body, cacheControl } = await fetchJson(options.url, { timeoutMs: options.timeoutMs, maxBytes: options.maxBytes });
  const list = (body as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(list)) throw new Error('the response is not a JWK Set');
  const fresh: VerificationKey[] = [];
  list.forEach((jwk: JWK, index) => {
    // Remote secrets are never trusted: an HMAC key published over HTTP is no secret.
    if (typeof jwk !== 'object' || jwk === null || jwk.kty === 'oct') return;
    try {
      const imported = importJwk(jwk, true, `keys[${index}]`);
      if (typeof imported !== 'string') fresh.push(imported);
    } catch {
      // A key the RFCs forbid (short RSA, off-curve point) is skipped, not fatal for the others.
    }
  });
  if (fresh.length === 0) throw new Error('the JWK Set has no usable signature verification key');
  return { fresh, maxAgeSeconds: cacheControlMaxAge(cacheControl) };
}
