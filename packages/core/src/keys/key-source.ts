import type { Algorithm, TokenHeader } from '../options.js';
import type { VerificationKey } from './verification-key.js';

export type KeySourceKind = 'secret' | 'publicKey' | 'jwks' | 'jwksUri' | 'getKey';

/** Where the verifier gets keys from. Exactly one per verifier. */
export interface KeySource {
  readonly kind: KeySourceKind;
  /** Keys known at start-up, used to infer and check the algorithm allowlist; undefined if remote. */
  readonly staticKeys: readonly VerificationKey[] | undefined;
  /** False once `key` is no longer trusted (it left a fetched JWKS): cached verdicts by it are dropped. */
  isCurrent?(key: VerificationKey): boolean;
  /** Remote sources: fetch now and resolve once usable keys are held (warm-up, health checks). */
  ready?(): Promise<void>;
  /** The keys that may verify this token; throws a `JwtGuardError` when the source is down. */
  candidates(
    header: TokenHeader,
    alg: Algorithm,
    kid: string | undefined,
    token: string,
    /** The payload as decoded before verification: only to choose keys, never to trust. */
    untrustedPayload?: Readonly<Record<string, unknown>>,
  ): VerificationKey[] | Promise<VerificationKey[]>;
}
