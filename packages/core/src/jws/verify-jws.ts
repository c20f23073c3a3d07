import { isAlgorithm } from '../algorithms.js';
import { checkHeader } from '../claims.js';
import { JwtGuardError, quotedStringSafe } from '../errors.js';
import { explainRefusal } from '../explanations.js';
import { mapJoseError } from '../jose-errors.js';
import type { KeySource } from '../keys/key-source.js';
import type { VerificationKey } from '../keys/verification-key.js';
import type { Algorithm } from '../options.js';
import { parseToken, type ParsedToken } from '../token.js';
import { UntrustedPayload } from '../untrusted-issuer.js';
import { nodeSignatureVerifier, webCryptoSignatureVerifier } from './signature.js';

/** A token whose signature holds, and the key that verified it. */
export interface VerifiedJws {
  parsed: ParsedToken;
  key: VerificationKey;
}

/** What the JWS layer of one verifier is fixed to at start-up. */
export interface JwsRules {
  /** The allowlist, after inference. */
  algorithms: readonly Algorithm[];
  source: KeySource;
  /** Characters; longer tokens are refused before any parsing. */
  maxTokenLength: number;
  /** `node`: node:crypto, synchronous; `webcrypto`: jose's WebCrypto path, for runtimes without node:crypto. */
  backend: 'node' | 'webcrypto';
}

/** Bounds the signature checks one token can cause when it carries no `kid`. */
const MAX_KEYS_TRIED = 16;

/**
 * The JWS layer of a verifier: structure, algorithm, header, key selection, signature — no claim is
 * looked at. Synchronous unless a key must be fetched or the WebCrypto backend is in use.
 */
export function jwsVerifier(rules: JwsRules): (token: string) => VerifiedJws | Promise<VerifiedJws> {
  const { algorithms, source, maxTokenLength, backend } = rules;
  const allowed = new Set<string>(algorithms);

  /** Structure, algorithm and header: everything decided before a key is looked for. */
  function checkJwsHeader(token: string): { parsed: ParsedToken; alg: Algorithm; kid: string | undefined } {
    const parsed = parseToken(token, maxTokenLength);
    const { header } = parsed;
    const alg = header.alg;
    if (typeof alg !== 'string') {
      throw new JwtGuardError('token_malformed', 'The access token is malformed.', { hint: 'the header has no "alg"' });
    }
    if (!allowed.has(alg) || !isAlgorithm(alg)) {
      throw new JwtGuardError('algorithm_not_allowed', 'The access token is signed with an algorithm that is not allowed.', {
        hint: `header alg "${quotedStringSafe(alg).slice(0, 32)}"; allowed: ${algorithms.join(', ')}`,
      });
    }
    checkHeader(header);
    const kid = header.kid;
    if (kid !== undefined && typeof kid !== 'string') {
      throw new JwtGuardError('token_malformed', 'The access token is malformed.', { hint: 'the header "kid" is not a string' });
    }
    return { parsed, alg, kid };
  }

  /** The candidate key that verifies the signature, if any: node:crypto answers synchronously. */
  function signingKeyNow(parsed: ParsedToken, alg: Algorithm, keys: readonly VerificationKey[]): VerificationKey | undefined {
    const tried = Math.min(keys.length, MAX_KEYS_TRIED);
    for (let index = 0; index < tried; index++) {
      const key = keys[index]!;
      let valid: boolean;
      try {
        valid = nodeSignatureVerifier(alg, key.key, parsed.signingInput, parsed.signature);
      } catch (error) {
        throw mapJoseError(error, undefined);
      }
      if (valid) return key;
    }
    return undefined;
  }

  /** The same through WebCrypto (jose), one key after the other. */
  async function signingKeyWebCrypto(parsed: ParsedToken, alg: Algorithm, keys: readonly VerificationKey[], token: string): Promise<VerificationKey | undefined> {
    for (const key of keys.slice(0, MAX_KEYS_TRIED)) {
      let valid: boolean;
      try {
        valid = await webCryptoSignatureVerifier(alg, key.key, token, parsed.signingInput, parsed.signature);
      } catch (error) {
        throw mapJoseError(error, undefined);
      }
      if (valid) return key;
    }
    return undefined;
  }

  function foundKey(parsed: ParsedToken, key: VerificationKey | undefined, candidates: readonly VerificationKey[]): VerifiedJws {
    if (key === undefined) {
      const kid = parsed.header.kid;
      // A key with the token's kid was tried: the kid matched, so the key's bytes (or a secret's
      // encoding) are what differs — the hint says so rather than "another key".
      const kidMatched = kid !== undefined && candidates.some((candidate) => candidate.kid === kid);
      throw new JwtGuardError('signature_invalid', 'The access token signature is invalid.', {
        hint: explainRefusal('signature_invalid', { header: parsed.header, kidMatched }),
      });
    }
    return { parsed, key };
  }

  /** The key, among the key source's candidates, whose signature check passes; throws otherwise. */
  function signedWith(
    token: string,
    parsed: ParsedToken,
    alg: Algorithm,
    kid: string | undefined,
    candidates: readonly VerificationKey[],
  ): VerifiedJws | Promise<VerifiedJws> {
    if (candidates.length === 0) {
      throw new JwtGuardError('key_not_found', 'No key is known for the access token.', {
        hint: explainRefusal('key_not_found', { header: parsed.header }),
      });
    }
    if (backend === 'node') return foundKey(parsed, signingKeyNow(parsed, alg, candidates), candidates);
    return signingKeyWebCrypto(parsed, alg, candidates, token).then((key) => foundKey(parsed, key, candidates));
  }

  return function verifyJwsNow(token: string): VerifiedJws | Promise<VerifiedJws> {
    const { parsed, alg, kid } = checkJwsHeader(token);
    // Nothing of the payload is parsed before the signature holds; a key source that needs the
    // issuer to choose keys (getKey's result cache) reads it from a bounded scan, when it asks.
    const candidates = source.candidates(parsed.header, alg, kid, token, new UntrustedPayload(parsed.payloadSegment));
    if (Array.isArray(candidates)) return signedWith(token, parsed, alg, kid, candidates);
    return candidates.then((keys) => signedWith(token, parsed, alg, kid, keys));
  };
}
