/**
 * THE table of misuse cases, beside the attack table (cases.ts): not forged tokens but the seams
 * around the verifier, tried as an attacker and as a careless integrator would. misuse.test.ts sends
 * every row to Express, Koa and Fastify. Rows live by seam in misuse/*.ts; this is the one table.
 */
import { HTTP_SEAM_CASES } from './misuse/http-seams.js';
import { KEY_SOURCE_CASES } from './misuse/key-sources.js';
import { REVOCATION_CASES } from './misuse/revocation.js';
import type { MisuseCase } from './misuse/types.js';
import { VERIFICATION_CASES } from './misuse/verification.js';

export type { MisuseAnswer, MisuseCase, MisuseContext, MisuseFixtures, MisuseRequest } from './misuse/types.js';

export const MISUSE_CASES: readonly MisuseCase[] = [...HTTP_SEAM_CASES, ...KEY_SOURCE_CASES, ...VERIFICATION_CASES, ...REVOCATION_CASES];
