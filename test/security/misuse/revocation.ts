/** Misuse rows for revocation: tokens that could not be revoked (rule 10). */
import type { MisuseCase } from './types.js';

export const REVOCATION_CASES: MisuseCase[] = [];
