import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createVerifier } from '@jwt-guard/core';
import { ensureBuilt, parseEnv, runCli } from './helpers.js';

// Each test starts Node processes; under a loaded parallel run that can take a while.
vi.setConfig({ testTimeout: 60_000 });

beforeAll(() => ensureBuilt());

describe('jwt-guard keygen', () => {
  it('makes a strong HS256 secret that the core accepts', async () => {
    const run = await runCli(['keygen', '--alg', 'HS256']);
    expect(run.code).toBe(0);
    const env = parseEnv(run.stdout);
    expect(env.JWT_SECRET).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(() => createVerifier({ secret: env.JWT_SECRET, issuer: 'i', audience: 'a' })).not.toThrow();
  });

  it.each(['RS256', 'ES256', 'EdDSA'])('makes a %s key pair: mint signs with the private key, inspect verifies with the JWKS', async (alg) => {
    const run = await runCli(['keygen', '--alg', alg, '--kid', 'k1']);
    expect(run.code, run.stderr).toBe(0);
    const env = parseEnv(run.stdout);
    const jwks = JSON.parse(env.JWT_JWKS ?? '') as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys).toEqual([expect.objectContaining({ kid: 'k1', alg, use: 'sig' })]);
    expect(JSON.stringify(jwks)).not.toMatch(/"d":/);

    const minted = await runCli(['mint', '--private-key-env', 'JWT_PRIVATE_KEY', '--kid', 'k1', '--issuer', 'http://localhost:3000/', '--audience', 'orders-api', '--scope', 'orders:read'], {
      env: { JWT_PRIVATE_KEY: run.stdout.match(/^JWT_PRIVATE_KEY="(.*)"$/m)?.[1] ?? '' },
    });
    expect(minted.code, minted.stderr).toBe(0);
    const token = minted.stdout.trim();
    const verifier = createVerifier({ jwks, issuer: 'http://localhost:3000/', audience: 'orders-api' });
    const auth = await verifier.verify(token);
    expect(auth.header.alg).toBe(alg);
    expect([...auth.scopes]).toEqual(['orders:read']);
  });

  it('refuses an unknown algorithm', async () => {
    const run = await runCli(['keygen', '--alg', 'none']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--alg must be one of HS256/);
  });
});

describe('jwt-guard mint', () => {
  const secret = 'dev-only-shared-value-for-local-mint-0123456789';

  it('mints a development token the verifier accepts', async () => {
    const run = await runCli(['mint', '--secret-env', 'DEV_JWT_SECRET', '--issuer', 'http://localhost:3000/', '--audience', 'orders-api', '--sub', 'alice', '--claim', 'tenant="acme"', '--exp', '10m'], {
      env: { DEV_JWT_SECRET: secret },
    });
    expect(run.code, run.stderr).toBe(0);
    const auth = await createVerifier({ secret, issuer: 'http://localhost:3000/', audience: 'orders-api' }).verify(run.stdout.trim());
    expect(auth.payload).toMatchObject({ sub: 'alice', tenant: 'acme' });
    expect(run.stdout + run.stderr).not.toContain(secret);
  });

  it.each([
    [['--secret-env', 'PROD_JWT_SECRET', '--issuer', 'http://localhost/'], /\$PROD_JWT_SECRET, whose name says production/],
    [['--secret-env', 'DEV_JWT_SECRET', '--issuer', 'https://login.acme.com/'], /host login\.acme\.com is not localhost/],
  ])('refuses production-looking keys or issuers without --force (%j)', async (args, reason) => {
    const env = { DEV_JWT_SECRET: secret, PROD_JWT_SECRET: secret };
    const refused = await runCli(['mint', ...args, '--audience', 'api'], { env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(reason);
    expect(refused.stderr).toMatch(/pass --force/);
    expect(refused.stdout).toBe('');
    const forced = await runCli(['mint', ...args, '--audience', 'api', '--force'], { env });
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout.trim().split('.')).toHaveLength(3);
  });

  it.each(['http://127.0.0.1:8080/', 'https://id.example.com/', 'https://auth.local/', 'https://idp.test/', 'http://app.localhost/'])('accepts the local issuer %s', async (issuerUrl) => {
    const run = await runCli(['mint', '--secret-env', 'DEV_JWT_SECRET', '--issuer', issuerUrl, '--audience', 'api'], { env: { DEV_JWT_SECRET: secret } });
    expect(run.code, run.stderr).toBe(0);
  });

  it('prints usage for an unknown command', async () => {
    const run = await runCli(['frobnicate']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown command "frobnicate"[\s\S]*Usage: jwt-guard/);
  });
});
