import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createVerifier, secretFromEnv } from '@jwt-guard/core';
import { ensureBuilt, parseEnv, runCli } from './helpers.js';

// Issue 14 follow-up: what a new user ran into, through the built binary.
vi.setConfig({ testTimeout: 60_000 });

const dir = mkdtempSync(path.join(tmpdir(), 'jwt-guard-cli-new-user-'));
const ISSUER = 'http://localhost:3000/';
const AUD = 'orders-api';
const claimsOf = (token: string): Record<string, unknown> => JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
const algOf = (token: string): unknown => (JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as { alg?: unknown }).alg;

beforeAll(() => ensureBuilt());

describe('--secret-encoding: the same key bytes as secretFromEnv(name, { encoding })', () => {
  const stored = randomBytes(32).toString('base64url');
  const env = { APP_SECRET: stored };
  const mintArgs = ['mint', '--secret-env', 'APP_SECRET', '--issuer', ISSUER, '--audience', AUD];
  const inspectArgs = ['--secret-env', 'APP_SECRET', '--issuer', ISSUER, '--audience', AUD];

  it('mint --secret-encoding base64url verifies where the app decodes the secret, and not where it reads the text', async () => {
    const minted = await runCli([...mintArgs, '--secret-encoding', 'base64url'], { env });
    expect(minted.code, minted.stderr).toBe(0);
    const token = minted.stdout.trim();
    const decodedApp = createVerifier({ secret: secretFromEnv('APP_SECRET', { encoding: 'base64url', env }), issuer: ISSUER, audience: AUD });
    await expect(decodedApp.verify(token)).resolves.toMatchObject({ payload: { iss: ISSUER } });
    const textApp = createVerifier({ secret: secretFromEnv('APP_SECRET', { env }), issuer: ISSUER, audience: AUD });
    await expect(textApp.verify(token)).rejects.toMatchObject({ code: 'signature_invalid' });
  });

  it('inspect --secret-encoding base64url (or "secretEncoding" in --config) verifies that token; the UTF-8 reading refuses it', async () => {
    const token = (await runCli([...mintArgs, '--secret-encoding', 'base64url'], { env })).stdout.trim();
    const decoded = await runCli(['inspect', token, ...inspectArgs, '--secret-encoding', 'base64url'], { env });
    expect(decoded.code, decoded.stdout + decoded.stderr).toBe(0);
    expect(decoded.stdout).toMatch(/✔ verified/);
    const asText = await runCli(['inspect', token, ...inspectArgs], { env });
    expect(asText.code).toBe(1);
    expect(asText.stdout).toMatch(/✘ signature_invalid/);
    const config = path.join(dir, 'encoded.json');
    writeFileSync(config, JSON.stringify({ issuer: ISSUER, audience: AUD, secretEnv: 'APP_SECRET', secretEncoding: 'base64url' }));
    expect((await runCli(['inspect', token, '--config', config], { env })).code).toBe(0);
  });

  it('checks the decoded bytes: 40 hex digits are 20 bytes, too short for HS256', async () => {
    const hex = randomBytes(20).toString('hex');
    const hexArgs = ['mint', '--secret-env', 'HEX_SECRET', '--issuer', ISSUER, '--audience', AUD];
    const refused = await runCli([...hexArgs, '--secret-encoding', 'hex'], { env: { HEX_SECRET: hex } });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/\$HEX_SECRET would be refused by the verifier: the secret is 20 bytes; HS256 needs at least 32/);
    expect(refused.stderr).not.toContain(hex);
    // The same 40 characters read as text are 40 bytes: accepted.
    expect((await runCli(hexArgs, { env: { HEX_SECRET: hex } })).code).toBe(0);
  });

  it('refuses an unknown encoding, on the command line and in --config', async () => {
    const run = await runCli([...mintArgs, '--secret-encoding', 'base32'], { env });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--secret-encoding must be one of utf8, base64url, base64, hex/);
    const config = path.join(dir, 'bad-encoding.json');
    writeFileSync(config, JSON.stringify({ secretEnv: 'APP_SECRET', secretEncoding: 'base32' }));
    const fromConfig = await runCli(['inspect', 'a.b.c', '--config', config], { env });
    expect(fromConfig.code).toBe(2);
    expect(fromConfig.stderr).toMatch(/"secretEncoding" must be one of "utf8"/);
  });

  it("keygen's HS comment says the text is used as is", async () => {
    expect((await runCli(['keygen', '--alg', 'HS256'])).stdout).toMatch(/^# Its text is used as is \(its UTF-8 bytes are the key\)/m);
  });
});

describe('mint with an RSA PEM takes the alg of the matching key in $X_JWKS', () => {
  it.each(['PS256', 'RS384', 'PS512'])('keygen --alg %s → mint → inspect --jwks-env verifies', async (alg) => {
    const keys = parseEnv((await runCli(['keygen', '--alg', alg, '--prefix', 'K'])).stdout);
    const env = { K_PRIVATE_KEY: keys.K_PRIVATE_KEY ?? '', K_JWKS: keys.K_JWKS ?? '' };
    const minted = await runCli(['mint', '--private-key-env', 'K_PRIVATE_KEY', '--issuer', ISSUER, '--audience', AUD], { env });
    expect(minted.code, minted.stderr).toBe(0);
    expect(minted.stderr).not.toMatch(/assumed/);
    const token = minted.stdout.trim();
    expect(algOf(token)).toBe(alg);
    const inspected = await runCli(['inspect', token, '--issuer', ISSUER, '--audience', AUD, '--jwks-env', 'K_JWKS'], { env });
    expect(inspected.code, inspected.stdout).toBe(0);
    expect(inspected.stdout).toContain(`✔ verified: signature, issuer, audience and times check out (alg ${alg},`);
  });

  it('an --alg that contradicts the matching JWK is a usage error; without any JWK, RS256 is assumed and said', async () => {
    const keys = parseEnv((await runCli(['keygen', '--alg', 'PS256', '--prefix', 'K'])).stdout);
    const env = { K_PRIVATE_KEY: keys.K_PRIVATE_KEY ?? '', K_JWKS: keys.K_JWKS ?? '' };
    const conflict = await runCli(['mint', '--private-key-env', 'K_PRIVATE_KEY', '--alg', 'RS256', '--issuer', ISSUER, '--audience', AUD], { env });
    expect(conflict.code).toBe(2);
    expect(conflict.stderr).toMatch(/--alg RS256 conflicts with the matching key in \$K_JWKS, whose alg is PS256/);
    expect(conflict.stdout).toBe('');
    const alone = await runCli(['mint', '--private-key-env', 'K_PRIVATE_KEY', '--issuer', ISSUER, '--audience', AUD], { env: { K_PRIVATE_KEY: env.K_PRIVATE_KEY } });
    expect(alone.code, alone.stderr).toBe(0);
    expect(alone.stderr).toMatch(/alg RS256 assumed for an RSA key; pass --alg PS256\|RS384/);
    expect(algOf(alone.stdout.trim())).toBe('RS256');
  });
});

describe('--max-token-length above 64 KiB', () => {
  const secret = 'Zq3v9LmN2xR7tY5wB8kD1fH4jP6sU0cA';
  const big = 'x'.repeat(70_000);

  it('decodes as far as the verifier reads: no "cannot decode" next to "✔ verified"', async () => {
    const minted = await runCli(['mint', '--secret-env', 'S', '--issuer', ISSUER, '--audience', AUD, '--claim', `blob=${big}`], { env: { S: secret } });
    expect(minted.code, minted.stderr).toBe(0);
    const token = minted.stdout.trim();
    expect(token.length).toBeGreaterThan(64 * 1024);
    const run = await runCli(['inspect', '-', '--secret-env', 'S', '--issuer', ISSUER, '--audience', AUD, '--max-token-length', '100000'], { env: { S: secret }, stdin: token });
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).not.toMatch(/cannot decode/);
    expect(run.stdout).toMatch(/✔ verified/);
    expect(claimsOf(token).blob).toBe(big);
    // Without it, both the decoder and the verifier stop at their bounds, consistently.
    const bounded = await runCli(['inspect', '-', '--secret-env', 'S', '--issuer', ISSUER, '--audience', AUD], { env: { S: secret }, stdin: token });
    expect(bounded.code).toBe(1);
    expect(bounded.stdout).not.toMatch(/✔ verified/);
  });

  it('is itself bounded (1048576)', async () => {
    const run = await runCli(['inspect', 'a.b.c', '--secret-env', 'S', '--issuer', ISSUER, '--audience', AUD, '--max-token-length', '2000000'], { env: { S: secret } });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--max-token-length must be a whole number of characters from 1 to 1048576/);
  });
});

describe('--public-key-env given something else than a PEM public key', () => {
  it('a JWKS there points to --jwks-env NAME', async () => {
    const keys = parseEnv((await runCli(['keygen', '--alg', 'ES256'])).stdout);
    const run = await runCli(['inspect', 'a.b.c', '--issuer', ISSUER, '--audience', AUD, '--public-key-env', 'JWT_JWKS'], { env: { JWT_JWKS: keys.JWT_JWKS ?? '' } });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--public-key-env JWT_JWKS: this is a JWK or JWK Set \(JSON\), not a PEM public key; use --jwks-env JWT_JWKS\./);
  });

  it('a private key is warned about, and still verifies with its public part', async () => {
    const keys = parseEnv((await runCli(['keygen', '--alg', 'ES256'])).stdout);
    const env = { JWT_PRIVATE_KEY: keys.JWT_PRIVATE_KEY ?? '', JWT_KID: keys.JWT_KID ?? '' };
    const token = (await runCli(['mint', '--private-key-env', 'JWT_PRIVATE_KEY', '--issuer', ISSUER, '--audience', AUD], { env })).stdout.trim();
    const run = await runCli(['inspect', token, '--issuer', ISSUER, '--audience', AUD, '--public-key-env', 'JWT_PRIVATE_KEY'], { env });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stderr).toMatch(/this is a private key; give the public key \(or the JWKS\)/);
    expect(run.stdout).toMatch(/✔ verified/);
    const file = path.join(dir, 'private.pem');
    writeFileSync(file, env.JWT_PRIVATE_KEY);
    const fromFile = await runCli(['inspect', token, '--issuer', ISSUER, '--audience', AUD, '--public-key', file]);
    expect(fromFile.code).toBe(0);
    expect(fromFile.stderr).toMatch(/this is a private key/);
  });
});

describe('an unknown flag or config key', () => {
  // "did you mean" is core's closestName, the verifier's own.

  it.each([
    ['inspect', ['inspect', 'a.b.c', '--audiance', 'api'], '--audiance', '--audience'],
    ['mint', ['mint', '--issuer', ISSUER, '--audiance', 'api'], '--audiance', '--audience'],
    ['keygen', ['keygen', '--alg', 'HS256', '--prefx', 'K'], '--prefx', '--prefix'],
  ])('%s: unknown option, exit 2', async (_command, args, typo, meant) => {
    const run = await runCli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`unknown option ${typo}`);
    expect(run.stderr).toContain(`unknown option ${typo}; did you mean ${meant}?`);
  });

  it('a --config key typo gets a "did you mean"', async () => {
    const config = path.join(dir, 'typo.json');
    writeFileSync(config, JSON.stringify({ audiance: AUD }));
    const run = await runCli(['inspect', 'a.b.c', '--config', config]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown key "audiance"; did you mean "audience"\?/);
  });
});

describe('wording and small fixes', () => {
  it('an nbf 5 min ahead reads "valid from 5 min from now", never "from in"', async () => {
    const secret = 'Zq3v9LmN2xR7tY5wB8kD1fH4jP6sU0cA';
    const token = (await runCli(['mint', '--secret-env', 'S', '--issuer', ISSUER, '--audience', AUD, '--nbf', '5m'], { env: { S: secret } })).stdout.trim();
    const run = await runCli(['inspect', token]);
    expect(run.stdout).toMatch(/nbf: \S+ \(valid from 5 min from now\)/);
    expect(run.stdout).toMatch(/exp: \S+ \(expires in 15 min\)/);
    expect(run.stdout).not.toMatch(/from in/);
  });

  it('mint --help says where the kid comes from', async () => {
    const run = await runCli(['mint', '--help']);
    expect(run.stdout).toMatch(/the private JWK's kid[\s\S]*--kid[\s\S]*the matching key's in\s+\$X_JWKS, else \$X_KID[\s\S]*\$X_SECRET_KID/);
  });

  it('keygen --bits is for RSA only', async () => {
    const run = await runCli(['keygen', '--alg', 'ES256', '--bits', '4096']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--bits is for RSA keys only/);
    expect(run.stdout).toBe('');
  });

  it.each(['--version', '-v'])('%s prints the package version', async (flag) => {
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    const run = await runCli([flag]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${version}\n`);
  });
});
