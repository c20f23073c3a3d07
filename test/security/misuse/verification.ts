/** Misuse rows for the verifier: hostile payloads, cached verdicts, clocks, backends, claims (rules 7, 8, 9, 12, 15). */
import type { MisuseCase } from './types.js';

export const VERIFICATION_CASES: MisuseCase[] = [];
