import { JwtGuardError } from '../errors.js';
import type { JWK } from '../options.js';
import { importJwk } from './import.js';
import type { KeySource } from './key-source.js';
import { selectKeys, type VerificationKey } from './verification-key.js';

export interface RemoteJwksOptions {
  url: URL;
  maxAgeMs: number;
  cooldownMs: number;
  timeoutMs: number;
  /** Largest JWKS response accepted, in bytes. */
  maxBytes?: number;
  explicitAlgorithms: () => boolean;
  now?: () => number;
}

const DEFAULT_MAX_BYTES = 512 * 1024;

/**
 * A JWKS fetched over HTTP: cached for `maxAgeMs`, refreshed in the background when old, refetched
 * on an unknown `kid` at most once per cooldown, one fetch in flight at a time. A failed fetch is
 * never cached: the previous keys stay in use and the next allowed attempt tries again.
 */
export function remoteJwksSource(options: RemoteJwksOptions): KeySource {
  const now = options.now ?? Date.now;
  let keys: VerificationKey[] | undefined;
  let fetchedAt = 0;
  let lastAttemptAt = Number.NEGATIVE_INFINITY;
  let inFlight: Promise<VerificationKey[]> | undefined;

  function refresh(): Promise<VerificationKey[]> {
    if (inFlight) return inFlight;
    lastAttemptAt = now();
    inFlight = fetchKeys(options)
      .then((fresh) => {
        keys = fresh;
        fetchedAt = now();
        return fresh;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  }

  function unavailable(cause: unknown): JwtGuardError {
    return new JwtGuardError('key_source_unavailable', 'The token signing keys are temporarily unavailable.', {
      hint: `JWKS ${options.url.href}: ${cause instanceof Error ? cause.message : String(cause)}`,
      cause,
    });
  }

  return {
    kind: 'jwksUri',
    staticKeys: undefined,
    async candidates(_header, alg, kid) {
      if (keys === undefined) {
        try {
          await refresh();
        } catch (cause) {
          throw unavailable(cause);
        }
      } else if (now() - fetchedAt > options.maxAgeMs && now() - lastAttemptAt > options.cooldownMs) {
        // Stale: keep serving the cached keys while a refresh runs; a failure keeps them.
        refresh().catch(() => undefined);
      }
      let found = selectKeys(keys ?? [], alg, kid, options.explicitAlgorithms());
      const kidIsUnknown = kid !== undefined && !(keys ?? []).some((key) => key.kid === kid);
      if (found.length === 0 && kidIsUnknown && (inFlight || now() - lastAttemptAt >= options.cooldownMs)) {
        try {
          found = selectKeys(await refresh(), alg, kid, options.explicitAlgorithms());
        } catch {
          // The endpoint failed, but we still hold keys: the token simply has no key among them.
        }
      }
      return found;
    },
  };
}

async function fetchKeys(options: RemoteJwksOptions): Promise<VerificationKey[]> {
  const response = await fetch(options.url, {
    signal: AbortSignal.timeout(options.timeoutMs),
    headers: { accept: 'application/json, application/jwk-set+json' },
    redirect: 'error',
  });
  if (!response.ok) {
    // Release the keep-alive connection now rather than at garbage collection.
    await response.body?.cancel().catch(() => undefined);
    throw new Error(`HTTP ${response.status}`);
  }
  const body = await readLimited(response, options.maxBytes ?? DEFAULT_MAX_BYTES);
  let set: unknown;
  try {
    set = JSON.parse(body);
  } catch {
    throw new Error('the response is not JSON');
  }
  const list = (set as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(list)) throw new Error('the response is not a JWK Set');
  const keys: VerificationKey[] = [];
  list.forEach((jwk: JWK, index) => {
    // Remote secrets are never trusted: an HMAC key published over HTTP is no secret.
    if (typeof jwk !== 'object' || jwk === null || jwk.kty === 'oct') return;
    try {
      const imported = importJwk(jwk, true, `keys[${index}]`);
      if (typeof imported !== 'string') keys.push(imported);
    } catch {
      // A key the RFCs forbid (short RSA, off-curve point) is skipped, not fatal for the others.
    }
  });
  if (keys.length === 0) throw new Error('the JWK Set has no usable signature verification key');
  return keys;
}

async function readLimited(response: Response, maxBytes: number): Promise<string> {
  const tooLarge = () => new Error(`the response is larger than ${maxBytes} bytes`);
  if (!response.body) return '';
  if (Number(response.headers.get('content-length') ?? '0') > maxBytes) {
    await response.body.cancel().catch(() => undefined);
    throw tooLarge();
  }
  const reader = response.body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
