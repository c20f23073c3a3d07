import { humanSpan } from '@jwt-guard/core';
import { finding, type Finding } from './audit-findings.js';
import { decodeToken } from './decode.js';
import { renderValue } from './terminal.js';

/** Sample tokens beyond this many are not read: stdin is the user's, but a log piped in can be huge. */
export const MAX_AUDITED_TOKENS = 1000;

export interface TokenPolicy {
  maxLifetime: number;
  revocation: boolean;
  algorithms?: string[];
  /** The kids of the audited JWKS, when there is one. */
  kids?: Set<string> | undefined;
  now?: Date;
}

/** stdin's lines as tokens: blank lines skipped, a `Bearer ` prefix dropped. */
export function tokensFromText(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim().replace(/^Bearer\s+/i, ''))
    .filter((line) => line !== '')
    .slice(0, MAX_AUDITED_TOKENS);
}

/**
 * The findings of sample tokens, decoded without trust. A token is named by its position and its
 * SHA-256 fingerprint, never shown; values quoted are the header's and safe claims' (alg, kid, typ, iss, lifetime).
 */
export function auditTokens(tokens: readonly string[], policy: TokenPolicy, findings: Finding[]): void {
  const now = Math.floor((policy.now ?? new Date()).getTime() / 1000);
  tokens.forEach((token, index) => {
    const decoded = decodeToken(token);
    const subject = `token #${index + 1} (sha256 ${decoded.fingerprint}…)`;
    const { header, payload } = decoded;
    if (decoded.problem !== undefined || header === undefined || payload === undefined) {
      findings.push(finding('token.undecodable', `${subject} does not decode: ${decoded.problem ?? 'no header or payload'}.`, subject));
      return;
    }
    const issuer = typeof payload.iss === 'string' ? ` from ${renderValue(payload.iss)}` : '';
    if (header.typ === undefined) findings.push(finding('token.typ_missing', `${subject}${issuer} has no "typ" header.`, subject));
    else if (typeof header.typ !== 'string' || !/^(application\/)?at\+jwt$/i.test(header.typ)) {
      findings.push(finding('token.typ_not_at_jwt', `${subject}${issuer} has "typ" ${renderValue(header.typ)}, not "at+jwt".`, subject));
    }
    if (policy.algorithms !== undefined && policy.algorithms.length > 0 && !policy.algorithms.includes(String(header.alg))) {
      findings.push(finding('token.alg_not_allowed', `${subject}${issuer} is signed with ${renderValue(header.alg)}, which the allowlist (${policy.algorithms.join(', ')}) refuses.`, subject));
    }
    if (policy.kids !== undefined && typeof header.kid === 'string' && !policy.kids.has(header.kid)) {
      findings.push(finding('token.kid_unknown', `${subject}${issuer} names the kid ${renderValue(header.kid)}, which the JWKS does not hold.`, subject));
    }
    const { exp, iat } = payload;
    if (typeof exp !== 'number') findings.push(finding('token.exp_missing', `${subject}${issuer} has no numeric "exp".`, subject));
    else {
      // exp − iat is the lifetime; without iat, what is left of it is a lower bound.
      const lifetime = typeof iat === 'number' ? exp - iat : exp - now;
      if (lifetime > policy.maxLifetime) {
        findings.push(finding('token.lifetime_above_policy', `${subject}${issuer} lives ${humanSpan(lifetime)}${typeof iat === 'number' ? '' : ' (at least; no iat)'}, above the policy of ${humanSpan(policy.maxLifetime)}.`, subject));
      }
    }
    if (policy.revocation && (typeof payload.jti !== 'string' || payload.jti === '')) {
      findings.push(finding('token.jti_missing', `${subject}${issuer} has no "jti", but revocation is on.`, subject));
    }
  });
}
