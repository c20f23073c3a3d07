/** Misuse rows for key sources: secrets, getKey, remote JWKS, key URLs (rules 3, 5, 6, 13, 14). */
import type { MisuseCase } from './types.js';

export const KEY_SOURCE_CASES: MisuseCase[] = [];
