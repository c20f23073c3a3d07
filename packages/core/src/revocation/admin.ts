import { JwtGuardError } from '../errors.js';
import type { Verifier } from '../options.js';
import type { RevocationStore } from './store.js';

export interface RevocationAdmin {
  /**
   * Revokes a token by its `jti`, until its `exp`. The token is verified first, so nothing in it is
   * trusted unless it is genuine; a token already expired or revoked needs nothing more.
   */
  revokeToken(token: string): Promise<'revoked' | 'already_invalid'>;
  revokeJti(jti: string, expiresAt: number): Promise<void>;
  /** "Log out everywhere": every token of `sub` issued before `issuedBefore` (default: now, rounded up). */
  revokeSubject(sub: string, issuedBefore?: number): Promise<void>;
}

export function revocationAdmin(verifier: Verifier, store: RevocationStore): RevocationAdmin {
  return {
    async revokeToken(token) {
      let payload;
      try {
        ({ payload } = await verifier.verify(token));
      } catch (error) {
        if (error instanceof JwtGuardError && (error.code === 'token_expired' || error.code === 'token_revoked')) return 'already_invalid';
        throw error;
      }
      if (typeof payload.jti !== 'string' || payload.jti === '') {
        throw new JwtGuardError('claim_missing', 'The access token has no "jti" claim.', { hint: 'revoke it by subject instead' });
      }
      if (typeof payload.exp !== 'number') {
        throw new JwtGuardError('claim_missing', 'The access token has no "exp" claim.', { hint: 'revoke it by subject instead' });
      }
      await store.revoke(payload.jti, payload.exp);
      return 'revoked';
    },
    revokeJti: (jti, expiresAt) => store.revoke(jti, expiresAt),
    // Rounded up: a token issued later within the same second cannot be told apart by its iat.
    revokeSubject: (sub, issuedBefore = Math.ceil(Date.now() / 1000)) => store.revokeSubject(sub, issuedBefore),
  };
}
