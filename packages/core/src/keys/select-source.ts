import { durationToSeconds } from '../duration.js';
import { configError } from '../errors.js';
import type { Duration, VerifierOptions } from '../options.js';
import { discoveredJwksSource } from './discovery.js';
import { emitter } from './key-events.js';
import type { KeySource } from './key-source.js';
import { insecureKeyUrl } from './key-url.js';
import { remoteJwksSource, type RemoteJwksOptions } from './remote-jwks.js';
import { resolverKeySource } from './resolver-source.js';
import { staticKeySource } from './static-source.js';

const KEY_SOURCES = ['secret', 'publicKey', 'jwks', 'jwksUri', 'discovery', 'getKey'] as const;

function positive(seconds: number, optionName: string): number {
  if (seconds <= 0) throw configError(`${optionName} must be greater than zero.`);
  return seconds;
}

/** Exactly one key source; each is imported (or prepared) here, once. */
export function selectKeySource(options: VerifierOptions): KeySource {
  const given = KEY_SOURCES.filter((name) => options[name] !== undefined && options[name] !== false);
  if (given.length === 0) {
    throw configError(
      "no key source: give exactly one of secret (HMAC), publicKey, jwks, jwksUri (your identity provider's JWKS URL), discovery: true or getKey.",
    );
  }
  if (given.length > 1) {
    throw configError(`${given.join(' and ')} are both set: give exactly one key source, so it is clear which keys are trusted.`);
  }
  const explicitAlgorithms = options.algorithms !== undefined;
  const kind = given[0]!;
  switch (kind) {
    case 'secret':
    case 'publicKey':
    case 'jwks':
      return staticKeySource(kind, options, () => explicitAlgorithms);
    case 'jwksUri': {
      const remote = remoteOptions(options);
      return remoteJwksSource({ ...remote, url: httpUrl(options.jwksUri!, 'jwksUri', remote.allowInsecureHttp) });
    }
    case 'discovery': {
      if (options.discovery !== true) throw configError('discovery must be true or false.');
      if (typeof options.issuer !== 'string') {
        throw configError('discovery needs issuer to be the one issuer URL whose metadata names the JWKS (for several, use issuers).');
      }
      const remote = remoteOptions(options);
      httpUrl(options.issuer, 'issuer', remote.allowInsecureHttp);
      return discoveredJwksSource(options.issuer, remote, remote.emit);
    }
    case 'getKey':
      if (typeof options.getKey !== 'function') throw configError('getKey must be a function (header, token) => key.');
      if (options.algorithms === undefined) {
        throw configError('getKey needs algorithms: jwt-guard cannot see its keys at start-up, so list the algorithms you expect, e.g. [\'RS256\'].');
      }
      return resolverKeySource(options.getKey, {
        ttlMs: durationToSeconds(options.getKeyCacheTtl ?? '5m', 'getKeyCacheTtl') * 1000,
        timeoutMs: positive(durationToSeconds(options.getKeyTimeout ?? '5s', 'getKeyTimeout'), 'getKeyTimeout') * 1000,
        cooldownMs: durationToSeconds(options.getKeyCooldown ?? '30s', 'getKeyCooldown') * 1000,
      });
  }
}

/** A key URL: https, or http on the loopback interface, or http anywhere with `allowInsecureHttpKeys: true`. */
function httpUrl(value: string | URL, option: string, allowInsecureHttp: boolean): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw configError(`${option} is not a valid URL.`);
  }
  if (url.username !== '' || url.password !== '') {
    throw configError(`${option} has a user name or password in it: fetch refuses such URLs, so no key could ever be fetched. Remove them.`);
  }
  const insecure = insecureKeyUrl(url, allowInsecureHttp);
  if (insecure !== undefined) {
    // The URL itself is not repeated: its query may hold an API key.
    throw configError(
      `${option} must be an https: URL, because ${insecure}. Use https; plain http: is accepted only on the loopback interface ` +
        '(localhost, 127.0.0.1, [::1]) or, for a key server on a network you fully trust, with allowInsecureHttpKeys: true.',
    );
  }
  return url;
}

/** The timing and size settings shared by `jwksUri` and `discovery`, checked once. */
function remoteOptions(options: VerifierOptions): Omit<RemoteJwksOptions, 'url'> {
  const seconds = (value: Duration | undefined, fallback: Duration, name: string) => durationToSeconds(value ?? fallback, name) * 1000;
  const maxAgeMs = positive(seconds(options.jwksCacheMaxAge, '10m', 'jwksCacheMaxAge'), 'jwksCacheMaxAge');
  // Unless set, the floor is a minute, or the ceiling if that is shorter.
  const minAgeMs =
    options.jwksCacheMinAge === undefined ? Math.min(60_000, maxAgeMs) : positive(seconds(options.jwksCacheMinAge, '1m', 'jwksCacheMinAge'), 'jwksCacheMinAge');
  if (minAgeMs > maxAgeMs) throw configError('jwksCacheMinAge must not be longer than jwksCacheMaxAge.');
  const maxBytes = options.jwksMaxBytes ?? 512 * 1024;
  if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) throw configError('jwksMaxBytes must be a positive integer.');
  if (options.onKeyEvent !== undefined && typeof options.onKeyEvent !== 'function') throw configError('onKeyEvent must be a function.');
  const allowInsecureHttp = options.allowInsecureHttpKeys ?? false;
  if (typeof allowInsecureHttp !== 'boolean') throw configError('allowInsecureHttpKeys must be true or false.');
  return {
    maxAgeMs,
    minAgeMs,
    cooldownMs: seconds(options.jwksCooldown, '30s', 'jwksCooldown'),
    timeoutMs: positive(seconds(options.jwksTimeout, '5s', 'jwksTimeout'), 'jwksTimeout'),
    staleIfErrorMs: seconds(options.jwksStaleIfError, '1h', 'jwksStaleIfError'),
    maxBytes,
    explicitAlgorithms: options.algorithms !== undefined,
    allowInsecureHttp,
    emit: emitter(options.onKeyEvent),
  };
}
