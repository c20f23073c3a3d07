import { JwtGuardError } from '../errors.js';
import type { JWTPayload, Verifier } from '../options.js';
import { revocationKey } from './check.js';
import type { RevocationStore } from './store.js';

export interface RevocationAdmin {
  /**
   * Revokes a token until its `exp`. The token is verified first, so nothing in it is trusted unless
   * it is genuine; a token already expired or revoked needs nothing more. By its `jti` when it has
   * one; a token without `jti` is revoked by its subject: every token of that `sub` issued within
   * or before the second of its `iat` (without `iat`: before now) — the narrowest revocation that
   * names it. Works for every token a verifier with `revocation` accepts.
   */
  revokeToken(token: string): Promise<'revoked' | 'already_invalid'>;
  /** Revokes the token with this `jti` until `expiresAt` (its `exp`). A numeric `jti` is revoked by its decimal form: `7` and `'7'` alike. */
  revokeJti(jti: string | number, expiresAt: number): Promise<void>;
  /**
   * "Log out everywhere": every token of `sub` issued before `issuedBefore` (default: now, rounded
   * up). A numeric `sub` is revoked by its decimal form: `42` and `'42'` alike.
   */
  revokeSubject(sub: string | number, issuedBefore?: number): Promise<void>;
}

/** What the administrator passes: a safe integer becomes its decimal form, as in tokens; the store refuses anything else. */
const adminKey = (value: string | number): string => (typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : (value as string));

export function revocationAdmin(verifier: Verifier, store: RevocationStore): RevocationAdmin {
  return {
    async revokeToken(token) {
      let payload: JWTPayload;
      try {
        ({ payload } = await verifier.verify(token));
      } catch (error) {
        if (error instanceof JwtGuardError && (error.code === 'token_expired' || error.code === 'token_revoked')) return 'already_invalid';
        throw error;
      }
      const jti = revocationKey(payload, 'jti');
      const sub = revocationKey(payload, 'sub');
      const { exp, iat } = payload;
      if (typeof exp !== 'number') {
        throw new JwtGuardError('claim_missing', 'The access token has no "exp" claim.', { hint: 'a token that never expires cannot be revoked' });
      }
      if (jti !== undefined) {
        await store.revoke(jti, exp);
        return 'revoked';
      }
      if (sub === undefined) {
        throw new JwtGuardError('claim_missing', 'The access token has no "jti" claim.', { hint: 'a token with neither "jti" nor "sub" cannot be revoked' });
      }
      // Names this token (iat < issuedBefore), and of its subject only those issued no later.
      const issuedBefore = typeof iat === 'number' ? Math.floor(iat) + 1 : Math.ceil(Date.now() / 1000);
      const bound = store.maxTokenLifetime;
      if (bound !== undefined && exp >= issuedBefore + bound) {
        throw new JwtGuardError('claim_invalid', 'The access token\'s "exp" claim is invalid.', {
          hint: `the token outlives a revocation of its subject (the store's maxTokenLifetime is ${bound} s): raise maxTokenLifetime, and verify with revocation on so that such tokens are refused`,
        });
      }
      await store.revokeSubject(sub, issuedBefore);
      return 'revoked';
    },
    revokeJti: (jti, expiresAt) => store.revoke(adminKey(jti), expiresAt),
    // Rounded up: a token issued later within the same second cannot be told apart by its iat.
    revokeSubject: (sub, issuedBefore = Math.ceil(Date.now() / 1000)) => store.revokeSubject(adminKey(sub), issuedBefore),
  };
}
