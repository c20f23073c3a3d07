import { describe, expect, it } from 'vitest';
import { createVerifier, secretFromEnv } from '@jwt-guard/core';

const GOOD = 'r8Jm2xQ9vL4pN7tW1zC5yB3kF6hD0sGaEeUiOo';

describe('secretFromEnv', () => {
  it('returns a strong secret, ready for createVerifier', () => {
    const secret = secretFromEnv('JWT_SECRET', { env: { JWT_SECRET: GOOD } });
    expect(secret).toBe(GOOD);
    expect(() => createVerifier({ secret, issuer: 'i', audience: 'a' })).not.toThrow();
  });

  it('stops start-up when the variable is unset or empty, naming it', () => {
    for (const env of [{}, { JWT_SECRET: '' }, { JWT_SECRET: '   ' }]) {
      expect(() => secretFromEnv('JWT_SECRET', { env })).toThrow(/environment variable JWT_SECRET is not set.*randomBytes\(32\)/);
    }
  });

  it('refuses a short secret for the algorithm, without echoing it', () => {
    const error = (() => {
      try {
        secretFromEnv('JWT_SECRET', { env: { JWT_SECRET: 'hunter2-but-longer' } });
      } catch (caught) {
        return caught as Error & { code: string };
      }
      throw new Error('no error');
    })();
    expect(error.code).toBe('config_invalid');
    expect(error.message).toMatch(/JWT_SECRET: the secret is 18 bytes; HS256 needs at least 32/);
    expect(error.message).not.toContain('hunter2');
    expect(() => secretFromEnv('JWT_SECRET', { env: { JWT_SECRET: GOOD }, algorithm: 'HS512' })).toThrow(/HS512 needs at least 64/);
  });

  it('refuses a placeholder', () => {
    expect(() => secretFromEnv('S', { env: { S: 'changeme'.repeat(5) } })).toThrow(/S: the secret has fewer than 10 distinct bytes/);
  });

  it('reads process.env by default', () => {
    process.env.JWT_GUARD_TEST_SECRET = GOOD;
    try {
      expect(secretFromEnv('JWT_GUARD_TEST_SECRET')).toBe(GOOD);
    } finally {
      delete process.env.JWT_GUARD_TEST_SECRET;
    }
  });
});
