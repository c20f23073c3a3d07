import { createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { ensureBuilt, runCli } from './helpers.js';

// Issue 14 item 4: keygen → mint → inspect fit together, through the built binary.
vi.setConfig({ testTimeout: 60_000 });

const ISSUER = 'http://localhost:3000/';
const dir = mkdtempSync(path.join(tmpdir(), 'jwt-guard-cli-fit-'));

beforeAll(() => ensureBuilt());

/** keygen's .env output, read the way dotenv reads it (single quotes literal; the PEM's `\n` as newlines). */
function parseEnv(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line);
    if (!match) continue;
    const raw = match[2] ?? '';
    values[match[1] ?? ''] = raw.startsWith("'") ? raw.slice(1, -1).replace(/'\\''/g, "'") : raw.slice(1, -1).replace(/\\n/g, '\n');
  }
  return values;
}

describe('keygen → mint → inspect --jwks-env, the kid carried through', () => {
  it.each(['RS256', 'ES256', 'EdDSA'])('%s: keygen prints JWT_KID, mint finds the kid, inspect verifies from $JWT_JWKS', async (alg) => {
    const keygen = await runCli(['keygen', '--alg', alg, '--kid', 'orders-2026-12']);
    expect(keygen.code, keygen.stderr).toBe(0);
    const env = parseEnv(keygen.stdout);
    expect(env.JWT_KID).toBe('orders-2026-12');
    expect(keygen.stdout).toMatch(/^JWT_KID='orders-2026-12'$/m);

    // No --kid: mint takes it from the key pair's own JWKS beside the private key.
    const mint = await runCli(['mint', '--private-key-env', 'JWT_PRIVATE_KEY', '--issuer', ISSUER, '--audience', 'orders-api', '--scope', 'orders:read'], { env });
    expect(mint.code, mint.stderr).toBe(0);
    const token = mint.stdout.trim();
    expect(decodeProtectedHeader(token)).toMatchObject({ alg, kid: 'orders-2026-12' });
    expect(mint.stderr).toMatch(/kid "orders-2026-12" taken from the matching key in \$JWT_JWKS/);

    const inspect = await runCli(['inspect', token, '--issuer', ISSUER, '--audience', 'orders-api', '--jwks-env', 'JWT_JWKS'], { env });
    expect(inspect.code, inspect.stdout + inspect.stderr).toBe(0);
    expect(inspect.stdout).toMatch(/^ {2}kid: "orders-2026-12"$/m);
    expect(inspect.stdout).toMatch(new RegExp(`✔ verified: .*alg ${alg}, scopes: orders:read`));
  });

  it('uses the kid of a private JWK (keygen --format json), and a conflicting --kid is an error', async () => {
    const keygen = await runCli(['keygen', '--alg', 'ES384', '--kid', 'jwk-kid', '--format', 'json']);
    const keys = JSON.parse(keygen.stdout) as { privateJwk: object; jwks: object };
    const file = path.join(dir, 'private-es384.json');
    writeFileSync(file, JSON.stringify(keys.privateJwk));
    const mint = await runCli(['mint', '--private-key', file, '--issuer', ISSUER, '--audience', 'api']);
    expect(mint.code, mint.stderr).toBe(0);
    expect(decodeProtectedHeader(mint.stdout.trim())).toMatchObject({ alg: 'ES384', kid: 'jwk-kid' });
    expect(mint.stderr).toBe('');

    const conflict = await runCli(['mint', '--private-key', file, '--kid', 'other', '--issuer', ISSUER, '--audience', 'api']);
    expect(conflict.code).toBe(2);
    expect(conflict.stderr).toMatch(/--kid "other" conflicts with the private JWK's own kid "jwk-kid"/);
  });

  it('warns on stderr when it mints without a kid', async () => {
    const keygen = await runCli(['keygen', '--alg', 'ES256', '--kid', 'k1']);
    const env = parseEnv(keygen.stdout);
    const mint = await runCli(['mint', '--private-key-env', 'SIGNING_PEM', '--issuer', ISSUER, '--audience', 'api'], { env: { SIGNING_PEM: env.JWT_PRIVATE_KEY ?? '' } });
    expect(mint.code, mint.stderr).toBe(0);
    expect(decodeProtectedHeader(mint.stdout.trim()).kid).toBeUndefined();
    expect(mint.stderr).toMatch(/warning: this token has no kid.*--kid "\$JWT_KID"/);
  });

  it('HS256: mint takes the kid from $JWT_SECRET_KID', async () => {
    const env = parseEnv((await runCli(['keygen', '--alg', 'HS256', '--kid', 'hs-1'])).stdout);
    expect(env.JWT_SECRET_KID).toBe('hs-1');
    const mint = await runCli(['mint', '--secret-env', 'JWT_SECRET', '--issuer', ISSUER, '--audience', 'api'], { env });
    expect(mint.code, mint.stderr).toBe(0);
    expect(decodeProtectedHeader(mint.stdout.trim()).kid).toBe('hs-1');
  });
});

describe('inspect key options', () => {
  let env: Record<string, string>;
  let token: string;
  beforeAll(async () => {
    env = parseEnv((await runCli(['keygen', '--alg', 'RS256', '--kid', 'r1'])).stdout);
    token = (await runCli(['mint', '--private-key-env', 'JWT_PRIVATE_KEY', '--issuer', ISSUER, '--audience', 'api'], { env })).stdout.trim();
  });

  it('--public-key-env reads a PEM public key from the environment', async () => {
    const publicPem = createPublicKey(createPrivateKey(env.JWT_PRIVATE_KEY ?? '')).export({ type: 'spki', format: 'pem' }).toString();
    const run = await runCli(['inspect', token, '--issuer', ISSUER, '--audience', 'api', '--public-key-env', 'API_PUBLIC_KEY'], { env: { API_PUBLIC_KEY: publicPem } });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/✔ verified/);
  });

  it('a missing --jwks file is reported as "file not found: <path>"', async () => {
    const missing = path.join(dir, 'no-such-jwks.json');
    const run = await runCli(['inspect', token, '--issuer', ISSUER, '--audience', 'api', '--jwks', missing]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`file not found: ${missing}`);
    const pem = await runCli(['inspect', token, '--issuer', ISSUER, '--audience', 'api', '--public-key', missing]);
    expect(pem.code).toBe(2);
    expect(pem.stderr).toContain(`file not found: ${missing}`);
  });

  it('the key itself given to a path option gets a hint to use the -env variant', async () => {
    const jwks = await runCli(['inspect', token, '--issuer', ISSUER, '--audience', 'api', '--jwks', env.JWT_JWKS ?? '']);
    expect(jwks.code).toBe(2);
    expect(jwks.stderr).toMatch(/--jwks takes a file path, but this looks like the key itself; use --jwks-env NAME/);
    expect(jwks.stderr).not.toMatch(/ENOENT/);
    const pem = await runCli(['inspect', token, '--issuer', ISSUER, '--audience', 'api', '--public-key', '-----BEGIN PUBLIC KEY-----\nMIIB']);
    expect(pem.code).toBe(2);
    expect(pem.stderr).toMatch(/use --public-key-env NAME/);
  });

  it('an unset --jwks-env variable is a usage error', async () => {
    const run = await runCli(['inspect', token, '--issuer', ISSUER, '--audience', 'api', '--jwks-env', 'NOT_SET_ANYWHERE']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/\$NOT_SET_ANYWHERE is not set/);
  });
});

describe('per-command --help', () => {
  it.each([
    ['mint', /--exp 15m/],
    ['keygen', /--kid ID.*--bits 2048/],
    ['inspect', /--jwks-env NAME.*--public-key-env NAME/],
  ])('jwt-guard %s --help prints its usage and exits 0', async (command, says) => {
    for (const flag of ['--help', '-h']) {
      const run = await runCli([command, flag]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`^Usage: jwt-guard ${command}`));
      expect(run.stdout).toMatch(says);
      expect(run.stdout).toMatch(/Exit codes: 0 verified/);
      expect(run.stderr).toBe('');
    }
    // With other options around it too.
    expect((await runCli([command, '--alg', 'HS256', '--help'])).code).toBe(0);
  });

  it('an unknown option points at the command\'s --help', async () => {
    const run = await runCli(['mint', '--frobnicate']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown option --frobnicate\n[\s\S]*jwt-guard mint --help/);
  });
});

describe('mint --exp -1m', () => {
  const secret = 'Zq3v9LmN2xR7tY5wB8kD1fH4jP6sU0cA';
  it.each([[['--exp', '-1m']], [['--exp=-1m']]])('%j mints an expired token that inspect calls expired', async (exp) => {
    const mint = await runCli(['mint', '--secret-env', 'DEV_SECRET', '--issuer', ISSUER, '--audience', 'api', ...exp], { env: { DEV_SECRET: secret } });
    expect(mint.code, mint.stderr).toBe(0);
    const run = await runCli(['inspect', mint.stdout.trim(), '--issuer', ISSUER, '--audience', 'api', '--secret-env', 'DEV_SECRET'], { env: { DEV_SECRET: secret } });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/exp: \S+Z \(expired 1 min ago\)/);
    expect(run.stdout).toMatch(/✘ token_expired: /);
  });
});

describe('--discovery with an issuer mismatch', () => {
  let server: Server;
  let origin: string;
  let token: string;

  beforeAll(async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'd1', alg: 'ES256', use: 'sig' };
    server = createServer((request, response) => {
      response.setHeader('content-type', 'application/json');
      if (request.url === '/.well-known/openid-configuration') response.end(JSON.stringify({ issuer: `${origin}/`, jwks_uri: `${origin}/jwks.json` }));
      else if (request.url === '/jwks.json') response.end(JSON.stringify({ keys: [jwk] }));
      else {
        response.statusCode = 404;
        response.end('{}');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    token = await new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'd1' }).setIssuer(`${origin}/`).setAudience('api').setExpirationTime('5m').sign(privateKey);
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('names the issuer mismatch on the top line, not JWKS reachability (exit 2)', async () => {
    const run = await runCli(['inspect', token, '--discovery', '--issuer', origin, '--audience', 'api']);
    expect(run.code, run.stdout + run.stderr).toBe(2);
    const verdict = run.stdout.split('\n').filter((line) => line.startsWith('✘ '));
    expect(verdict).toHaveLength(1);
    expect(verdict[0]).toMatch(
      new RegExp(`^✘ issuer_mismatch: the discovery document at .* names the issuer "${origin}/", not "${origin}"; set issuer to exactly "${origin}/" \\(copy it from the discovery document; a trailing slash counts\\)`),
    );
    expect(verdict[0]).not.toMatch(/reachable/);
  });

  it('verifies once the issuer matches', async () => {
    const run = await runCli(['inspect', token, '--discovery', '--issuer', `${origin}/`, '--audience', 'api']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/✔ verified/);
  });
});
