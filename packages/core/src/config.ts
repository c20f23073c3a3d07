import { ALGORITHMS, isAlgorithm, isHmac } from './algorithms.js';
import { durationToSeconds } from './duration.js';
import { configError } from './errors.js';
import type { KeySource } from './keys/key-source.js';
import { remoteJwksSource } from './keys/remote-jwks.js';
import { checkSecretStrength } from './keys/secret-strength.js';
import { resolverKeySource } from './keys/resolver-source.js';
import { staticKeySource } from './keys/static-source.js';
import { defaultAlgorithm, keyAllows, type VerificationKey } from './keys/verification-key.js';
import type { Algorithm, VerifierOptions } from './options.js';

const KEY_SOURCES = ['secret', 'publicKey', 'jwks', 'jwksUri', 'getKey'] as const;
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
  const given = KEY_SOURCES.filter((name) => options[name] !== undefined);
  if (given.length === 0) {
    throw configError(
      'no key source: give exactly one of secret (HMAC), publicKey, jwks, jwksUri (your identity provider\'s JWKS URL) or getKey.',
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
      let url: URL;
      try {
        url = new URL(options.jwksUri!);
      } catch {
        throw configError('jwksUri is not a valid URL.');
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:') throw configError('jwksUri must be an https: URL (http: only for a key server on a trusted network, such as localhost in tests).');
      return remoteJwksSource({
        url,
        maxAgeMs: durationToSeconds(options.jwksCacheMaxAge ?? '10m', 'jwksCacheMaxAge') * 1000,
        cooldownMs: durationToSeconds(options.jwksCooldown ?? '30s', 'jwksCooldown') * 1000,
        timeoutMs: positive(durationToSeconds(options.jwksTimeout ?? '5s', 'jwksTimeout'), 'jwksTimeout') * 1000,
        explicitAlgorithms: () => explicitAlgorithms,
      });
    }
    case 'getKey':
      if (typeof options.getKey !== 'function') throw configError('getKey must be a function (header, token) => key.');
      if (options.algorithms === undefined) {
        throw configError('getKey needs algorithms: jwt-guard cannot see its keys at start-up, so list the algorithms you expect, e.g. [\'RS256\'].');
      }
      return resolverKeySource(options.getKey);
  }
}

/**
 * The allowlist: the user's, checked against the keys, or inferred from keys that leave no doubt.
 * Never `none`, never HMAC beside asymmetric algorithms, never HMAC with a public key.
 */
export function resolveAlgorithms(options: VerifierOptions, source: KeySource): readonly Algorithm[] {
  const keys = source.staticKeys;
  let algorithms: Algorithm[];
  if (options.algorithms !== undefined) {
    algorithms = checkAlgorithmList(options.algorithms);
    if (keys !== undefined) checkKeysFitAlgorithms(keys, algorithms, source.kind);
    else if (source.kind === 'jwksUri' && algorithms.some(isHmac)) {
      throw configError('algorithms lists an HMAC algorithm with public keys: `jwksUri` serves public keys only (RFC 8725 §2.1). Use RS*/PS*/ES*/EdDSA.');
    }
  } else if (keys === undefined) {
    algorithms = [...ASYMMETRIC];
  } else {
    algorithms = [...new Set(keys.map((key) => defaultAlgorithm(key)).filter((alg): alg is Algorithm => alg !== undefined))];
  }
  if (keys !== undefined) checkSecretStrength(keys, algorithms);
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
