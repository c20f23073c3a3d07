import { ALGORITHMS, isAlgorithm, isHmac } from './algorithms.js';
import { durationToSeconds } from './duration.js';
import { configError } from './errors.js';
import type { KeySource } from './keys/key-source.js';
import { discoveredJwksSource } from './keys/discovery.js';
import { emitter } from './keys/key-events.js';
import { insecureKeyUrl } from './keys/key-url.js';
import { remoteJwksSource, type RemoteJwksOptions } from './keys/remote-jwks.js';
import { checkSecretStrength } from './keys/secret-strength.js';
import { resolverKeySource } from './keys/resolver-source.js';
import { staticKeySource } from './keys/static-source.js';
import { defaultAlgorithm, keyAllows, type VerificationKey } from './keys/verification-key.js';
import type { Algorithm, Duration, VerifierOptions } from './options.js';

const KEY_SOURCES = ['secret', 'publicKey', 'jwks', 'jwksUri', 'discovery', 'getKey'] as const;
const ASYMMETRIC: readonly Algorithm[] = (Object.keys(ALGORITHMS) as Algorithm[]).filter((alg) => !isHmac(alg));

/** Refuses unknown option names, so a typo (`algorithm`, `audiences`) fails loudly at start-up. */
export function checkOptionNames(options: object, known: readonly string[]): void {
  for (const name of Object.keys(options)) {
    if (known.includes(name)) continue;
    const close = known.find((candidate) => candidate.toLowerCase().startsWith(name.toLowerCase().slice(0, 5)));
    throw configError(`unknown option "${name}"${close ? `; did you mean "${close}"?` : '.'}`);
  }
}

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

/**
 * The allowlist: the user's, checked against the keys, or inferred from keys that leave no doubt.
 * Never `none`, never HMAC beside asymmetric algorithms, never HMAC with a public key.
 */
export function resolveAlgorithms(options: VerifierOptions, source: KeySource, refusePlaceholderSecrets = true): readonly Algorithm[] {
  const keys = source.staticKeys;
  let algorithms: Algorithm[];
  if (options.algorithms !== undefined) {
    algorithms = checkAlgorithmList(options.algorithms);
    if (keys !== undefined) checkKeysFitAlgorithms(keys, algorithms, source.kind);
    else if (source.kind === 'jwksUri' && algorithms.some(isHmac)) {
      throw configError('algorithms lists an HMAC algorithm with public keys: a remote JWKS serves public keys only (RFC 8725 §2.1). Use RS*/PS*/ES*/EdDSA.');
    }
  } else if (keys === undefined) {
    algorithms = [...ASYMMETRIC];
  } else {
    algorithms = [...new Set(keys.map((key) => defaultAlgorithm(key)).filter((alg): alg is Algorithm => alg !== undefined))];
  }
  if (keys !== undefined) checkSecretStrength(keys, algorithms, refusePlaceholderSecrets);
  return Object.freeze(algorithms);
}

function checkAlgorithmList(list: readonly unknown[]): Algorithm[] {
  if (!Array.isArray(list) || list.length === 0) throw configError("algorithms must be a non-empty array, e.g. ['RS256'].");
  for (const alg of list) {
    if (typeof alg === 'string' && alg.toLowerCase() === 'none') {
      throw configError('algorithms contains "none": unsigned tokens are never accepted (RFC 8725 §3.1).');
    }
    if (!isAlgorithm(alg)) {
      throw configError(`algorithms contains "${String(alg)}", which is not a JWS signature algorithm jwt-guard verifies (${Object.keys(ALGORITHMS).join(', ')}).`);
    }
  }
  const algorithms = [...new Set(list as Algorithm[])];
  if (algorithms.some(isHmac) && !algorithms.every(isHmac)) {
    throw configError(
      'algorithms mixes HMAC (HS*) with asymmetric algorithms; that invites key confusion (RFC 8725 §2.1). Use one verifier per kind.',
    );
  }
  return algorithms;
}

function checkKeysFitAlgorithms(keys: readonly VerificationKey[], algorithms: readonly Algorithm[], kind: string): void {
  const secrets = keys.some((key) => key.family === 'oct');
  if (secrets && !algorithms.every(isHmac)) {
    throw configError(`algorithms lists ${algorithms.join(', ')} but \`${kind}\` holds HMAC secrets: use HS256, HS384 or HS512.`);
  }
  if (!secrets && algorithms.some(isHmac)) {
    throw configError(
      `algorithms lists an HMAC algorithm with public keys: an HS* token "signed" with your public key would verify (key confusion, RFC 8725 §2.1). Use RS*/PS*/ES*/EdDSA.`,
    );
  }
  const usable = keys.some((key) => algorithms.some((alg) => keyAllows({ ...key, secretLength: undefined }, alg, true)));
  if (!usable) throw configError(`no configured key can verify any of ${algorithms.join(', ')}: check the key types and algorithms.`);
}
