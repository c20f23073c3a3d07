import type { Algorithm } from './options.js';

export type KeyFamily = 'oct' | 'RSA' | 'EC' | 'OKP';

interface AlgorithmInfo {
  family: KeyFamily;
  /** EC curve or OKP subtype the algorithm needs. */
  curve?: string;
  /** Hash output in bytes: the minimum HMAC secret length (RFC 7518 §3.2). */
  hashBytes: number;
}

export const ALGORITHMS: Readonly<Record<Algorithm, AlgorithmInfo>> = {
  HS256: { family: 'oct', hashBytes: 32 },
  HS384: { family: 'oct', hashBytes: 48 },
  HS512: { family: 'oct', hashBytes: 64 },
  RS256: { family: 'RSA', hashBytes: 32 },
  RS384: { family: 'RSA', hashBytes: 48 },
  RS512: { family: 'RSA', hashBytes: 64 },
  PS256: { family: 'RSA', hashBytes: 32 },
  PS384: { family: 'RSA', hashBytes: 48 },
  PS512: { family: 'RSA', hashBytes: 64 },
  ES256: { family: 'EC', curve: 'P-256', hashBytes: 32 },
  ES384: { family: 'EC', curve: 'P-384', hashBytes: 48 },
  ES512: { family: 'EC', curve: 'P-521', hashBytes: 64 },
  EdDSA: { family: 'OKP', hashBytes: 64 },
  Ed25519: { family: 'OKP', curve: 'Ed25519', hashBytes: 64 },
};

export function isAlgorithm(value: unknown): value is Algorithm {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ALGORITHMS, value);
}

/** The key family of an algorithm name, or undefined for a name that is not one of ours. */
export function keyFamilyOf(alg: string): KeyFamily | undefined {
  return isAlgorithm(alg) ? ALGORITHMS[alg].family : undefined;
}

export function isHmac(alg: Algorithm): boolean {
  return ALGORITHMS[alg].family === 'oct';
}

/** The one algorithm an EC curve or OKP subtype determines (RFC 7518 §3.4, RFC 8037). */
export function algorithmForCurve(curve: string): Algorithm | undefined {
  switch (curve) {
    case 'P-256': return 'ES256';
    case 'P-384': return 'ES384';
    case 'P-521': return 'ES512';
    case 'Ed25519':
    case 'Ed448': return 'EdDSA';
    default: return undefined;
  }
}

/** Whether a key of this family and curve can carry out `alg`. */
export function keyFitsAlgorithm(family: KeyFamily, curve: string | undefined, alg: Algorithm): boolean {
  const info = ALGORITHMS[alg];
  if (info.family !== family) return false;
  if (family === 'EC') return info.curve === curve;
  if (family === 'OKP') return alg === 'EdDSA' ? curve === 'Ed25519' || curve === 'Ed448' : curve === 'Ed25519';
  return true;
}
