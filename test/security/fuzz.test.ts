/**
 * The bounded fuzz run of CI: 20,000 cases over the core verifier (see fuzz-properties.ts), plus
 * mutated tokens sent to Express, Koa and Fastify, which must never answer 5xx and must agree.
 * Seed: FUZZ_SEED (default fixed, so CI is reproducible); the long run is `pnpm fuzz`.
 */
import fc from 'fast-check';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADAPTERS, startApp, type AdapterName, type TestApp } from '../adapters/apps.js';
import { createFuzzContext, fuzzProperties, runsPerProperty, type FuzzContext } from './fuzz-properties.js';
import { configFor, createSecurityFixtures, type SecurityFixtures } from './fixtures.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_125);
const TOTAL_RUNS = Number(process.env.FUZZ_RUNS ?? 20_000);

const ctx: FuzzContext = createFuzzContext();
const properties = fuzzProperties(ctx);
const runs = runsPerProperty(properties, TOTAL_RUNS);

describe(`fuzz: core verifier (${TOTAL_RUNS} runs, seed ${SEED})`, () => {
  it('every valid token of the fuzz context is accepted', async () => {
    for (const { verifier, token } of ctx.tokens) await expect(ctx.verifiers[verifier]!.verify(token)).resolves.toBeDefined();
  });
  it.each(properties.map((p, index) => [p.name, index] as const))('%s', async (_name, index) => {
    await fc.assert(properties[index]!.property, { numRuns: runs[index]!, seed: SEED + index });
  }, 60_000);
});

describe('fuzz: three adapters, mutated tokens', () => {
  let fx: SecurityFixtures;
  const apps = {} as Record<AdapterName, TestApp>;
  beforeAll(async () => {
    fx = await createSecurityFixtures();
    for (const adapter of ADAPTERS) apps[adapter] = await startApp(adapter, configFor('RS256', fx));
  });
  afterAll(async () => {
    await Promise.all(Object.values(apps).map((app) => app.close()));
    await fx?.close();
  });

  it('never a 5xx, never a different answer, never the token echoed', async () => {
    const valid = await fx.rs.sign();
    const mutation = fc.oneof(
      fc.array(fc.tuple(fc.nat(), fc.constantFrom(...'ABCabc019-_.=+/~'.split(''))), { minLength: 1, maxLength: 3 }).map((edits) => {
        let token = valid;
        for (const [at, char] of edits) {
          const i = at % token.length;
          token = token.slice(0, i) + char + token.slice(i + 1);
        }
        return token;
      }),
      fc.tuple(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(0, 1)).map(([value, index]) => {
        const parts = valid.split('.');
        parts[index] = Buffer.from(JSON.stringify(value) ?? '').toString('base64url');
        return parts.join('.');
      }),
    );
    await fc.assert(
      fc.asyncProperty(mutation, async (token) => {
        const answers = [];
        for (const adapter of ADAPTERS) {
          const response = await request(apps[adapter].server).get('/me').set('authorization', `Bearer ${token}`);
          expect(response.status, `${adapter}: ${token}`).toBeLessThan(500);
          if (token !== valid) expect(response.status, `${adapter} accepted ${token}`).not.toBe(200);
          expect(response.text).not.toContain(token);
          expect(response.headers['www-authenticate'] ?? '').not.toMatch(/[\r\n]/);
          answers.push([response.status, response.headers['www-authenticate'], response.text]);
        }
        expect(answers[1]).toEqual(answers[0]);
        expect(answers[2]).toEqual(answers[0]);
      }),
      { numRuns: 300, seed: SEED },
    );
  }, 60_000);
});
