import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { importJwk, isJwtGuardError, type JWK } from '@jwt-guard/core';
import { finding, type Finding } from './audit-findings.js';
import { renderValue } from './terminal.js';

/** EC curves by strength; `--min-ec-curve` names one of them. */
export const EC_CURVES = ['P-256', 'P-384', 'P-521'] as const;
export type EcCurve = (typeof EC_CURVES)[number];

/** A hostile JWKS may hold a million keys: only this many are audited (and that is a finding). */
export const MAX_AUDITED_KEYS = 100;

/** JWK members that only a private (or secret) key has (RFC 7518 §6.2.2, §6.3.2, §6.4). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** What the audit learnt about a key set, for the checks that look across it. */
export interface KeySetFacts {
  /** Key families (RSA, EC, OKP, oct) of the keys. */
  families: Set<string>;
  kids: Set<string>;
  /** Whether any key is asymmetric (RSA, EC, OKP). */
  asymmetric: boolean;
}

function keyLabel(jwk: JWK, index: number, where: string): string {
  return typeof jwk.kid === 'string' ? `${where} key ${renderValue(jwk.kid)}` : `${where} key #${index + 1}`;
}

/** The modulus size of an RSA JWK, read by node:crypto; undefined when it does not import. */
function rsaBits(jwk: JWK): number | undefined {
  try {
    return createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e } as JsonWebKey, format: 'jwk' }).asymmetricKeyDetails?.modulusLength;
  } catch {
    return undefined;
  }
}

function auditKey(jwk: JWK, index: number, where: string, minCurve: EcCurve, findings: Finding[]): void {
  const subject = keyLabel(jwk, index, where);
  const privateMembers = PRIVATE_MEMBERS.filter((member) => member in jwk);
  if (privateMembers.length > 0) {
    findings.push(finding('jwks.private_key', `${subject} holds private key material (${privateMembers.join(', ')}): anyone who reads the JWKS can sign tokens.`, subject));
  }
  if (typeof jwk.kid !== 'string' || jwk.kid === '') findings.push(finding('jwks.kid_missing', `${subject} has no "kid".`, subject));
  if (jwk.use === undefined && jwk.key_ops === undefined) findings.push(finding('jwks.use_missing', `${subject} has neither "use" nor "key_ops".`, subject));

  if (jwk.kty === 'RSA') {
    const bits = rsaBits(jwk);
    if (bits !== undefined && bits < 2048) findings.push(finding('jwks.rsa_below_2048', `${subject} is a ${bits}-bit RSA key.`, subject));
    else if (bits !== undefined && bits < 3072) findings.push(finding('jwks.rsa_below_3072', `${subject} is a ${bits}-bit RSA key; 3072 bits is the policy.`, subject));
    if (bits !== undefined && bits < 2048) return; // importJwk would only say the same again
  }
  if (jwk.kty === 'EC' && typeof jwk.crv === 'string') {
    const rank = (EC_CURVES as readonly string[]).indexOf(jwk.crv);
    if (rank !== -1 && rank < EC_CURVES.indexOf(minCurve)) {
      findings.push(finding('jwks.ec_curve_below_policy', `${subject} is on ${jwk.crv}, below the policy curve ${minCurve}.`, subject));
    }
  }
  // The verifier's own import: what it refuses (ROCA, a bad exponent, a curve it does not verify, a
  // point off the curve, an alg that does not fit) the audit reports, in the verifier's words.
  try {
    const result = importJwk(jwk, false, subject);
    if (typeof result === 'string' && jwk.kty !== 'oct') findings.push(finding('jwks.key_refused', `${subject} is skipped by the verifier: ${result}.`, subject));
  } catch (error) {
    if (!isJwtGuardError(error)) throw error;
    findings.push(finding('jwks.key_refused', error.message.replace(/^jwt-guard configuration: /, ''), subject));
  }
}

/** The per-key findings of a JWK Set (given as untrusted JSON), and the facts the cross-checks need. */
export function auditKeySet(body: unknown, where: string, minCurve: EcCurve, findings: Finding[]): KeySetFacts | undefined {
  const keys = (body as { keys?: unknown } | null)?.keys;
  if (typeof body !== 'object' || body === null || !Array.isArray(keys)) {
    findings.push(finding('jwks.invalid', `${where} is not a JWK Set (a JSON object with a "keys" array).`, where));
    return undefined;
  }
  if (keys.length > MAX_AUDITED_KEYS) {
    findings.push(finding('jwks.too_many_keys', `${where} holds ${keys.length} keys; the first ${MAX_AUDITED_KEYS} were audited.`, where));
  }
  const facts: KeySetFacts = { families: new Set(), kids: new Set(), asymmetric: false };
  keys.slice(0, MAX_AUDITED_KEYS).forEach((key: unknown, index) => {
    if (typeof key !== 'object' || key === null || typeof (key as JWK).kty !== 'string') {
      findings.push(finding('jwks.invalid', `${where} key #${index + 1} is not a JWK (no "kty").`, where));
      return;
    }
    const jwk = key as JWK;
    const kty = jwk.kty as string;
    facts.families.add(kty);
    if (kty !== 'oct') facts.asymmetric = true;
    if (typeof jwk.kid === 'string') facts.kids.add(jwk.kid);
    auditKey(jwk, index, where, minCurve, findings);
  });
  return facts;
}
