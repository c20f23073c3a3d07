import { JwtGuardError } from '../errors.js';
import { backoffMs } from './backoff.js';
import { explainRefusal } from '../explanations.js';
import type { JWK, TokenHeader } from '../options.js';
import { cacheControlMaxAge, describeError, fetchJson } from './fetch-json.js';
import { importJwk } from './import.js';
import { printable, type KeyEventListener } from './key-events.js';
import type { KeySource } from './key-source.js';
import { redactUrl, redactUrlIn } from './key-url.js';
import { atStartUp } from './start-up-error.js';
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
 * - past their lifetime, keys within the stale-if-error grace period keep verifying while the refresh
 *   runs in the background: no request with a known `kid` ever waits on a fetch while keys are held,
 *   even when the endpoint accepts connections and never answers;
 * - an unknown `kid` causes at most one fetch per cooldown, shared by every concurrent request. The
 *   cooldown counts only fetches that unknown kids caused (or waited on), never the first fetch or
 *   background refreshes, so a rotation right after start-up is picked up at once;
 * - a failed fetch is never cached: the previous keys stay in use (within the grace period) and
 *   attempts back off exponentially; recovery needs no restart;
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
  /** When an unknown kid last caused (or joined) a fetch: the start of the current cooldown. */
  let lastUnknownKidFetchAt = Number.NEGATIVE_INFINITY;
  let consecutiveFailures = 0;
  let retryAt = 0;
  let lastFailure = '';
  let inFlight: Promise<VerificationKey[]> | undefined;

  function refresh(): Promise<VerificationKey[]> {
    if (inFlight) return inFlight;
    const started = now();
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
  const ignore = () => undefined;

  function unavailable(): JwtGuardError {
    return new JwtGuardError('key_source_unavailable', 'The token signing keys are temporarily unavailable.', {
      hint: `JWKS ${url}: ${lastFailure || 'no keys fetched yet'}`,
    });
  }

  /**
   * The keys to verify with right now, without waiting: fresh ones, or expired ones within the
   * grace period. Past the refresh point (80 % of the lifetime) it starts the background refresh;
   * undefined when no usable key is held.
   */
  function usableKeysNow(): VerificationKey[] | undefined {
    if (keys === undefined) return undefined;
    const time = now();
    if (time < refreshAt) return keys;
    if (mayFetch()) refresh().catch(ignore);
    if (time < expiresAt) return keys;
    if (time < expiresAt + options.staleIfErrorMs) {
      options.emit({ type: 'stale_keys_served', url, ageMs: time - fetchedAt });
      return keys;
    }
    return undefined;
  }

  /** No usable key held: fetch (unless backing off) and wait for it. */
  async function fetchedKeys(): Promise<VerificationKey[]> {
    if (!mayFetch()) throw unavailable();
    try {
      return await refresh();
    } catch {
      throw unavailable();
    }
  }

  const known = (held: readonly VerificationKey[], found: readonly VerificationKey[], kid: string | undefined) =>
    found.length > 0 || kid === undefined || held.some((key) => key.kid === kid);

  /**
   * A kid the held keys do not have: perhaps the provider rotated. Refetch at most once per cooldown
   * (counted from the last fetch an unknown kid caused or joined) and not while backing off; not at
   * all when `justFetched` (the keys were fetched for this very request). Synchronous when there is
   * no refetch, so a flood of random kids is answered without a promise each.
   */
  function unknownKid(
    header: TokenHeader,
    alg: Parameters<KeySource['candidates']>[1],
    kid: string,
    found: VerificationKey[],
    justFetched: boolean,
  ): VerificationKey[] | Promise<VerificationKey[]> {
    const time = now();
    const sinceLast = time - lastUnknownKidFetchAt;
    const coolingDown = sinceLast < options.cooldownMs;
    const refetch = !justFetched && (inFlight !== undefined || (!coolingDown && time >= retryAt));
    options.emit({ type: 'unknown_kid', url, kid: printable(kid), refetched: refetch });
    if (!refetch && !justFetched && coolingDown) throw cooledDown(header, sinceLast);
    if (!refetch) return found;
    lastUnknownKidFetchAt = time;
    return refresh().then(
      (fresh) => selectKeys(fresh, alg, kid, options.explicitAlgorithms),
      // The endpoint failed, but we still hold keys: the token simply has no key among them.
      () => found,
    );
  }

  /** key_not_found with the hint that the kid was not looked up again (jwksCooldown), and when it will be. */
  function cooledDown(header: TokenHeader, sinceLastMs: number): JwtGuardError {
    const refetchSkipped = {
      agoSeconds: Math.floor(sinceLastMs / 1000),
      cooldownSeconds: Math.round(options.cooldownMs / 1000),
      inSeconds: Math.max(1, Math.ceil((options.cooldownMs - sinceLastMs) / 1000)),
    };
    return new JwtGuardError('key_not_found', 'No key is known for the access token.', { hint: explainRefusal('key_not_found', { header, refetchSkipped }) });
  }

  async function candidatesAfterFetch(header: TokenHeader, alg: Parameters<KeySource['candidates']>[1], kid: string | undefined): Promise<VerificationKey[]> {
    const fresh = await fetchedKeys();
    const found = selectKeys(fresh, alg, kid, options.explicitAlgorithms);
    return known(fresh, found, kid) ? found : unknownKid(header, alg, kid!, found, true);
  }

  return {
    kind: 'jwksUri',
    staticKeys: undefined,
    async ready() {
      if (usableKeysNow() === undefined) {
        await fetchedKeys().catch((error: unknown) => {
          throw atStartUp(error);
        });
      }
    },
    // A cached verdict is trusted while its key is held and usable (fresh, or within the grace
    // period); past the refresh point it also starts the background refresh an uncached request would.
    isCurrent: (key) => keys !== undefined && keys.includes(key) && usableKeysNow() !== undefined,
    candidates(header, alg, kid) {
      // Synchronous whenever usable keys are held and the token's kid is among them (or absent).
      const held = usableKeysNow();
      if (held === undefined) return candidatesAfterFetch(header, alg, kid);
      const found = selectKeys(held, alg, kid, options.explicitAlgorithms);
      return known(held, found, kid) ? found : unknownKid(header, alg, kid!, found, false);
    },
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
