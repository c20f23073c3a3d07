import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeProtectedHeader } from 'jose';
import { createTestIssuer, type TestIssuer } from '@jwt-guard/testing';
import { ensureBuilt, runCli } from './helpers.js';

// Issue 14 item 6: the CLI must not trust what it prints and writes. Through the built binary.
vi.setConfig({ testTimeout: 60_000 });

const dir = mkdtempSync(path.join(tmpdir(), 'jwt-guard-cli-hostile-'));
const ISSUER = 'http://localhost:3000/';
const SECRET = 'Zq3v9LmN2xR7tY5wB8kD1fH4jP6sU0cA';

let issuer: TestIssuer;
let jwksFile: string;
beforeAll(async () => {
  ensureBuilt();
  issuer = await createTestIssuer({ algorithm: 'RS256', serveJwks: false });
  jwksFile = path.join(dir, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify(issuer.jwks));
});

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');
/** A token with a raw header and payload (JSON text, so names can hold anything) and a junk signature. */
const rawToken = (header: string, payload: string): string => `${b64(header)}.${b64(payload)}.c2lnbmF0dXJl`;

/** What must never reach the terminal raw: C0/C1 controls (but the newlines between lines), bidi controls, separators. */
// eslint-disable-next-line no-control-regex
const RAW_UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

const ESC = '\u001b';
const hostileNames = {
  forgedLine: `x\n✔ verified: signature, issuer, audience and times check out (alg RS256, scopes: admin)`,
  osc52: `${ESC}]52;c;Y3VybCBldmlsLnNoIHwgc2g=\u0007`,
  csi: `\u009b31mred`,
  ansi: `${ESC}[2J${ESC}[1;1H`,
  bidi: `admin\u202eresu\u202c \u2066iso\u2069`,
  separators: `a\u2028b\u2029c\rd`,
};

describe('inspect escapes everything it prints from a token', () => {
  const payload = JSON.stringify({
    iss: ISSUER,
    aud: 'api',
    exp: Math.floor(Date.now() / 1000) + 600,
    ...Object.fromEntries(Object.entries(hostileNames).map(([key, name]) => [name, `${key}: ${name}`])),
    scope: `read ${ESC}]52;c;aGk=${ESC}\\ \u009b2J \u202egnp.exe`,
  });
  const header = JSON.stringify({ alg: 'HS256', typ: `JWT${ESC}[8m`, [`kid\n✔ verified`]: `\u202e${ESC}[0m`, kid: `k\u0007\u2067` });
  const token = rawToken(header, payload);

  const check = (stdout: string): void => {
    expect(stdout).not.toMatch(RAW_UNSAFE);
    // The forged newline stays inside its line: one verdict line only, the real one.
    expect(stdout.split('\n').filter((line) => /^\s*[✔✘]/.test(line))).toEqual([expect.stringMatching(/^✘ signature_invalid: /)]);
    expect(stdout).toContain('\\u001b]52;c;');
    expect(stdout).toContain('\\u009b31mred');
    expect(stdout).toContain('\\u202e');
    expect(stdout).toContain('\\u2066iso\\u2069');
    expect(stdout).toContain('\\u2028b\\u2029c');
  };

  it('names and values, header and claims, with a key (refused, exit 1)', async () => {
    const run = await runCli(['inspect', token, '--issuer', ISSUER, '--audience', 'api', '--secret-env', 'DEV_SECRET'], { env: { DEV_SECRET: SECRET } });
    expect(run.code, run.stderr).toBe(1);
    check(run.stdout);
    expect(run.stderr).not.toMatch(RAW_UNSAFE);
  });

  it('without a key: decoded (exit 0), still escaped', async () => {
    const run = await runCli(['inspect', token]);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(RAW_UNSAFE);
    expect(run.stdout.split('\n').filter((line) => /^\s*[✔✘]/.test(line))).toEqual([]);
  });

  it('--json: escaped and still valid JSON that round-trips the values', async () => {
    const run = await runCli(['inspect', token, '--json', '--issuer', ISSUER, '--audience', 'api', '--secret-env', 'DEV_SECRET'], { env: { DEV_SECRET: SECRET } });
    expect(run.code).toBe(1);
    expect(run.stdout).not.toMatch(RAW_UNSAFE);
    const report = JSON.parse(run.stdout) as { payload: Record<string, unknown>; header: Record<string, unknown>; exitCode: number };
    expect(report.payload[hostileNames.osc52]).toBe(`osc52: ${hostileNames.osc52}`);
    expect(report.header.kid).toBe('k\u0007\u2067');
    expect(report.exitCode).toBe(1);
  });

  it('a verified token with hostile scopes prints them escaped', async () => {
    const minted = await runCli(['mint', '--secret-env', 'DEV_SECRET', '--issuer', ISSUER, '--audience', 'api', '--claim', `scope="admin\u202e\u009b2J"`], { env: { DEV_SECRET: SECRET } });
    expect(minted.code, minted.stderr).toBe(0);
    const run = await runCli(['inspect', minted.stdout.trim(), '--issuer', ISSUER, '--audience', 'api', '--secret-env', 'DEV_SECRET'], { env: { DEV_SECRET: SECRET } });
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(RAW_UNSAFE);
    expect(run.stdout).toMatch(/✔ verified: .*scopes: admin\\u202e\\u009b2J\)/);
  });
});

describe('a deeply nested payload never crashes inspect', () => {
  const deep = (depth: number): string => `${'['.repeat(depth)}1${']'.repeat(depth)}`;
  const token = rawToken('{"alg":"HS256"}', `{"iss":${deep(5000)},"aud":${deep(4000)},"exp":${deep(3000)},"x":{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":1}}}}}}}}}}`);

  it('without a key: bounded rendering with "…", exit 0', async () => {
    const run = await runCli(['inspect', '-'], { stdin: token });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^ {2}iss: \[\[\[\[\[\[\[\["…"\]\]\]\]\]\]\]\]$/m);
    expect(run.stdout).toMatch(/^ {2}x: \{"a":\{"b":.*"…"/m);
    expect(run.stderr).toBe('');
  });

  it.each([[[]], [['--json']]])('with a key %j: refused (exit 1), no stack overflow', async (extra) => {
    const run = await runCli(['inspect', '-', ...extra, '--issuer', ISSUER, '--audience', 'api', '--secret-env', 'DEV_SECRET', '--max-token-length', '60000'], {
      stdin: token,
      env: { DEV_SECRET: SECRET },
    });
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stdout + run.stderr).not.toMatch(/Maximum call stack|unexpected error/);
  });
});

describe('keygen validates what it writes', () => {
  it.each([`a'b`, 'a\nb', 'a"b', '$(touch /tmp/pwned)', 'a b', '', 'k'.repeat(129), 'ключ'])('refuses --kid %j with a usage error and writes nothing', async (kid) => {
    const run = await runCli(['keygen', '--alg', 'ES256', `--kid=${kid}`]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/--kid must be 1 to 128 characters of A-Z a-z 0-9 \. _ : -/);
  });

  it.each(['ES256', 'HS256'])('%s: the .env output sourced by bash gives back the exact values (benign kid round-trips)', async (alg) => {
    const kid = 'orders:2026-12_v1.0';
    const run = await runCli(['keygen', '--alg', alg, '--kid', kid]);
    expect(run.code, run.stderr).toBe(0);
    const file = path.join(dir, `keys-${alg}.env`);
    writeFileSync(file, run.stdout);
    const sourced = execFileSync('bash', ['-c', 'set -eu; set -a; . "$1"; node -e "process.stdout.write(JSON.stringify(process.env))"', 'sh', file], {
      env: { PATH: process.env.PATH ?? '' },
    }).toString();
    const env = JSON.parse(sourced) as Record<string, string>;
    if (alg === 'HS256') {
      expect(env.JWT_SECRET_KID).toBe(kid);
      expect(env.JWT_SECRET).toMatch(/^[A-Za-z0-9_-]{43}$/);
    } else {
      expect(env.JWT_KID).toBe(kid);
      expect(JSON.parse(env.JWT_JWKS ?? '')).toEqual({ keys: [expect.objectContaining({ kid, alg })] });
      // The shell keeps the `\n` escapes; mint --private-key-env turns them back into newlines.
      expect(env.JWT_PRIVATE_KEY).toMatch(/^-----BEGIN PRIVATE KEY-----\\n[A-Za-z0-9+/=\\n]+-----END PRIVATE KEY-----$/);
      const mint = await runCli(['mint', '--private-key-env', 'JWT_PRIVATE_KEY', '--issuer', ISSUER, '--audience', 'api'], { env });
      expect(mint.code, mint.stderr).toBe(0);
      expect(decodeProtectedHeader(mint.stdout.trim()).kid).toBe(kid);
    }
  });

  it('refuses a --prefix that is not a variable name', async () => {
    const run = await runCli(['keygen', '--alg', 'HS256', '--prefix', 'X=1;touch /tmp/pwned;Y']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
  });

  it.each(['100000', '1024', '2047', 'lots', '4097'])('refuses RSA --bits %s (2048 to 8192, a multiple of 8)', async (bits) => {
    const run = await runCli(['keygen', '--alg', 'RS256', '--bits', bits]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--bits must be a multiple of 8 from 2048 to 8192 \(RSA\)/);
  });
});

describe('mint never makes what the verifier refuses', () => {
  it.each([
    ['PS256', 'PS256'],
    ['RS384', 'RS384'],
    ['PS512', 'PS512'],
  ])('a %s private JWK mints %s, which inspect verifies', async (alg, expected) => {
    const keys = JSON.parse((await runCli(['keygen', '--alg', alg, '--kid', `k-${alg}`, '--format', 'json'])).stdout) as { privateJwk: object; jwks: object };
    const file = path.join(dir, `${alg}.json`);
    writeFileSync(file, JSON.stringify(keys.privateJwk));
    const mint = await runCli(['mint', '--private-key', file, '--issuer', ISSUER, '--audience', 'api']);
    expect(mint.code, mint.stderr).toBe(0);
    expect(decodeProtectedHeader(mint.stdout.trim()).alg).toBe(expected);
    const run = await runCli(['inspect', mint.stdout.trim(), '--issuer', ISSUER, '--audience', 'api', '--jwks-env', 'JWKS'], { env: { JWKS: JSON.stringify(keys.jwks) } });
    expect(run.code, run.stdout).toBe(0);
  });

  it('a --alg that conflicts with the JWK\'s own alg is an error', async () => {
    const keys = JSON.parse((await runCli(['keygen', '--alg', 'PS256', '--format', 'json'])).stdout) as { privateJwk: object };
    const file = path.join(dir, 'ps256-conflict.json');
    writeFileSync(file, JSON.stringify(keys.privateJwk));
    const run = await runCli(['mint', '--private-key', file, '--alg', 'RS256', '--issuer', ISSUER, '--audience', 'api']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--alg RS256 conflicts with the private JWK's own alg PS256/);
    expect(run.stdout).toBe('');
  });

  it.each(['a'.repeat(40), 'changeme'.repeat(5), 'abababababababababababababababababab'])('refuses the placeholder secret %j the verifier would refuse', async (secret) => {
    const run = await runCli(['mint', '--secret-env', 'DEV_SECRET', '--issuer', ISSUER, '--audience', 'api'], { env: { DEV_SECRET: secret } });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/\$DEV_SECRET would be refused by the verifier: .*placeholder/);
    expect(run.stdout).toBe('');
    expect(run.stderr).not.toContain(secret);
  });

  it.each(['https://auth.default.svc.cluster.local/', 'http://keycloak.auth.svc/', 'https://idp.internal/', 'https://ip-10-0-0-1.ec2.internal/'])(
    'does not treat %s as local',
    async (url) => {
      const run = await runCli(['mint', '--secret-env', 'DEV_SECRET', '--issuer', url, '--audience', 'api'], { env: { DEV_SECRET: SECRET } });
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/is not localhost.*pass --force/);
    },
  );
});

describe('the exit-code table of docs/cli.md', () => {
  const env = { DEV_SECRET: SECRET };
  const key = ['--issuer', ISSUER, '--audience', 'api', '--secret-env', 'DEV_SECRET'];
  const good = async (): Promise<string> => (await runCli(['mint', '--secret-env', 'DEV_SECRET', '--issuer', ISSUER, '--audience', 'api'], { env })).stdout.trim();

  it.each<[string, number, () => Promise<string[]>, RegExp?]>([
    ['verified', 0, async () => ['inspect', await good(), ...key]],
    ['decoded, without a key', 0, async () => ['inspect', await good()]],
    ['refused (wrong audience)', 1, async () => ['inspect', await good(), '--issuer', ISSUER, '--audience', 'other', '--secret-env', 'DEV_SECRET']],
    ['a garbage token without a key', 1, async () => ['inspect', 'garbage']],
    ['a garbage token with a key', 1, async () => ['inspect', 'garbage', ...key]],
    ['config_invalid from inspect (no issuer)', 2, async () => ['inspect', await good(), '--audience', 'api', '--secret-env', 'DEV_SECRET'], /config_invalid/],
    ['a bad flag', 2, async () => ['inspect', await good(), '--frobnicate']],
    ['an unknown command', 2, async () => ['frobnicate']],
    ['no command', 2, async () => []],
    ['--max-token-length not a number', 2, async () => ['inspect', await good(), ...key, '--max-token-length', 'lots']],
    ['--config with a string "now"', 2, async () => ['inspect', await good(), '--config', configFile({ issuer: ISSUER, audience: 'api', secretEnv: 'DEV_SECRET', now: 'now' })], /"now" must be an ISO 8601/],
    ['--config with a wrong type', 2, async () => ['inspect', await good(), '--config', configFile({ issuer: ISSUER, audience: 'api', secretEnv: 'DEV_SECRET', maxTokenLength: '8k' })], /"maxTokenLength" must be a positive integer/],
    ['--config with an unknown key', 2, async () => ['inspect', await good(), '--config', configFile({ issuer: ISSUER, audience: 'api', secretEnv: 'DEV_SECRET', audiance: 'api' })], /unknown key "audiance"/],
    ['--config file not found', 2, async () => ['inspect', await good(), '--config', path.join(dir, 'nope.json')], /file not found/],
    ['key source unreachable', 3, async () => ['inspect', await issuer.sign(), '--issuer', issuer.issuer, '--audience', issuer.audience, '--jwks-uri', 'http://127.0.0.1:9/jwks.json']],
    ['discovery unreachable', 3, async () => ['inspect', await issuer.sign(), '--discovery', '--issuer', 'http://127.0.0.1:9/', '--audience', 'api']],
    ['--help', 0, async () => ['--help']],
    ['help mint', 0, async () => ['help', 'mint'], /^Usage: jwt-guard mint/],
  ])('%s → %i', async (_name, code, args, says) => {
    const run = await runCli(await args(), { env });
    expect(run.code, run.stdout + run.stderr).toBe(code);
    expect(run.stderr).not.toMatch(/unexpected error/);
    if (says !== undefined) expect(run.stdout + run.stderr).toMatch(says);
  });

  it('a --config "now" as an ISO date is used as the current time', async () => {
    const token = await good();
    const later = new Date(Date.now() + 3600_000).toISOString();
    const run = await runCli(['inspect', token, '--config', configFile({ issuer: ISSUER, audience: 'api', secretEnv: 'DEV_SECRET', now: later })], { env });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/✘ token_expired/);
  });

  it('uses the jwksFile from a config', async () => {
    const run = await runCli(['inspect', await issuer.sign(), '--config', configFile({ issuer: issuer.issuer, audience: issuer.audience, jwksFile })]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
  });
});

let configs = 0;
function configFile(config: Record<string, unknown>): string {
  configs += 1;
  const file = path.join(dir, `config-${configs}.json`);
  writeFileSync(file, JSON.stringify(config));
  return file;
}
