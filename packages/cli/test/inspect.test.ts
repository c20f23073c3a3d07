import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestIssuer, generateTestKeys, mintToken, type TestIssuer } from '@jwt-guard/testing';
import { ensureBuilt, runCli } from './helpers.js';

// Each test starts Node processes; under a loaded parallel run that can take a while.
vi.setConfig({ testTimeout: 60_000 });

let issuer: TestIssuer;
let jwksFile: string;
let base: string[];

beforeAll(async () => {
  ensureBuilt();
  issuer = await createTestIssuer({ algorithm: 'RS256', serveJwks: false });
  const dir = mkdtempSync(path.join(tmpdir(), 'jwt-guard-cli-'));
  jwksFile = path.join(dir, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify(issuer.jwks));
  base = ['--issuer', issuer.issuer, '--audience', issuer.audience, '--jwks', jwksFile];
});
afterAll(() => issuer.close());

const mintWith = (claims: Record<string, unknown>, options: Parameters<typeof mintToken>[2] = {}) =>
  mintToken(issuer.keys, claims, { issuer: issuer.issuer, audience: issuer.audience, subject: 'user-1', ...options });

/** Every refusal the core makes for a token, a real token that triggers it, and what the one-line explanation must say. */
const cases: Array<{ code: string; token: () => Promise<string>; extra?: string[]; says: RegExp }> = [
  { code: 'token_malformed', token: async () => 'not-a-jwt', says: /not a signed JWT \(1 part\(s\) where a JWS has 3/ },
  { code: 'token_too_large', token: () => issuer.sign(), extra: ['--max-token-length', '100'], says: /over maxTokenLength \(100\)/ },
  { code: 'token_expired', token: () => issuer.expiredToken(), says: /expired 1 h ago .*get a new one/ },
  { code: 'token_not_yet_valid', token: () => issuer.notYetValidToken(), says: /not valid until 1 h from now \(nbf\).*clock/ },
  {
    code: 'signature_invalid',
    token: async () => mintToken(await generateTestKeys('RS256', { kid: issuer.keys.kid }), {}, { issuer: issuer.issuer, audience: issuer.audience }),
    says: /signature does not verify with the configured key \(kid ".*"\); .*signed with another key/,
  },
  {
    code: 'algorithm_not_allowed',
    token: async () => mintToken(await generateTestKeys('HS256', { kid: issuer.keys.kid }), {}, { issuer: issuer.issuer, audience: issuer.audience }),
    says: /signed with "HS256" but only RS256 are allowed/,
  },
  { code: 'issuer_mismatch', token: () => issuer.wrongIssuerToken(), says: /iss is "https:\/\/wrong-issuer\.jwt-guard\.test\/" but "https:\/\/issuer\.jwt-guard\.test\/" is expected; set issuer/ },
  { code: 'audience_mismatch', token: () => issuer.wrongAudienceToken(), says: /aud is "https:\/\/wrong-audience\.jwt-guard\.test" but "https:\/\/api\.jwt-guard\.test" is expected/ },
  { code: 'claim_missing', token: () => mintWith({}, { expiresIn: null }), says: /no "exp" claim \(exp is required: tokens must expire\)/ },
  { code: 'claim_missing', token: () => issuer.sign(), extra: ['--required-claim', 'email'], says: /no "email" claim; have the issuer include it, or drop it from requiredClaims/ },
  { code: 'claim_invalid', token: () => mintWith({ exp: 'soon' }), says: /the exp claim is "soon", not a number of seconds/ },
  {
    code: 'claim_invalid',
    token: () => mintWith({ iat: Math.floor(Date.now() / 1000) + 3600 }),
    extra: ['--max-token-age', '1h'],
    says: /issued in (59 min|1 h) \(iat in the future\)/,
  },
  {
    code: 'token_expired',
    token: () => mintWith({ iat: Math.floor(Date.now() / 1000) - 7200 }),
    extra: ['--max-token-age', '1h'],
    says: /issued 2 h ago, more than maxTokenAge \(1 h\) ago/,
  },
  { code: 'type_mismatch', token: () => issuer.sign(), extra: ['--typ', 'at+jwt'], says: /typ header is "JWT" but "at\+jwt" is expected/ },
  { code: 'key_not_found', token: () => mintWith({}, { header: { kid: 'retired-key' } }), says: /no configured key matches the token's kid "retired-key" and alg "RS256"/ },
  { code: 'token_revoked', token: () => mintWith({}, { jti: 'leaked-1' }), extra: ['--revoked-jti', 'leaked-1'], says: /revocation denylist \(jti "leaked-1"/ },
];

describe('jwt-guard inspect explains every refusal of the core in one line', () => {
  it.each(cases)('$code ($says)', async ({ code, token, extra = [], says }) => {
    const jwt = await token();
    const run = await runCli(['inspect', jwt, ...base, ...extra]);
    expect(run.code, run.stderr).toBe(1);
    const refusal = run.stdout.split('\n').filter((line) => line.startsWith('✘ '));
    expect(refusal).toHaveLength(1);
    expect(refusal[0]).toMatch(new RegExp(`^✘ ${code}: `));
    expect(refusal[0]).toMatch(says);
    if (jwt.length > 20) expect(run.stdout + run.stderr).not.toContain(jwt);
  });

  it('covers every token refusal code of the core', () => {
    expect(new Set(cases.map((entry) => entry.code))).toEqual(
      new Set([
        'token_malformed', 'token_too_large', 'token_expired', 'token_not_yet_valid', 'signature_invalid', 'algorithm_not_allowed',
        'issuer_mismatch', 'audience_mismatch', 'claim_missing', 'claim_invalid', 'type_mismatch', 'key_not_found', 'token_revoked',
      ]),
    );
  });
});

describe('jwt-guard inspect', () => {
  it('decodes without trusting, with human times, and never prints the token', async () => {
    const token = await issuer.sign({ scope: 'orders:read' }, { expiresIn: '4m' });
    const run = await runCli(['inspect', token]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/claims \(not verified\):/);
    expect(run.stdout).toMatch(/exp: \S+Z \(expires in (3|4) min\)/);
    expect(run.stdout).toMatch(/not verified: pass --issuer/);
    expect(run.stdout).not.toContain(token);
    expect(run.stdout).not.toContain(token.split('.')[2]);
  });

  it('shows how long ago an expired token expired', async () => {
    const run = await runCli(['inspect', await issuer.expiredToken()]);
    expect(run.stdout).toMatch(/exp: \S+Z \(expired 1 h ago\)/);
  });

  it('verifies a good token, read from stdin, with a config file', async () => {
    const config = path.join(path.dirname(jwksFile), 'jwt-guard.json');
    writeFileSync(config, JSON.stringify({ issuer: issuer.issuer, audience: issuer.audience, jwksFile }));
    const run = await runCli(['inspect', '-', '--config', config], { stdin: `Bearer ${await issuer.tokenWithScopes('orders:read')}\n` });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/✔ verified: .*scopes: orders:read/);
  });

  it('verifies against a JWKS URL', async () => {
    const served = await createTestIssuer({ algorithm: 'ES256' });
    try {
      const run = await runCli(['inspect', await served.sign(), '--issuer', served.issuer, '--audience', served.audience, '--jwks-uri', served.jwksUri ?? '']);
      expect(run.stdout).toMatch(/✔ verified: .*alg ES256/);
    } finally {
      await served.close();
    }
  });

  it('explains a bad configuration as such, with exit code 2', async () => {
    const run = await runCli(['inspect', await issuer.sign(), '--audience', issuer.audience, '--jwks', jwksFile]);
    expect(run.code).toBe(2);
    expect(run.stdout, run.stderr).toMatch(/✘ config_invalid: .*issuer.*\(fix the options, not the token\)/);
  });

  it('never echoes a secret', async () => {
    const secret = 'a-secret-that-must-never-be-printed-0123456789';
    const run = await runCli(['inspect', await issuer.sign(), '--issuer', issuer.issuer, '--audience', issuer.audience, '--secret-env', 'CLI_TEST_SECRET'], {
      env: { CLI_TEST_SECRET: secret },
    });
    expect(run.stdout, run.stderr).toMatch(/✘ algorithm_not_allowed: /);
    expect(run.stdout + run.stderr).not.toContain(secret);
  });
});
