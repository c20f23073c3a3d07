import { generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureBuilt, runCli } from './helpers.js';
import { auditJson, sampleToken, startEndpointServer, withId, type EndpointServer } from './audit-helpers.js';

// `jwt-guard audit` against crafted weak configurations served on 127.0.0.1, through the built bin.
vi.setConfig({ testTimeout: 30_000 });

const publicJwk = (key: ReturnType<typeof generateKeyPairSync>['publicKey']): JsonWebKey => key.export({ format: 'jwk' });
// Generated once: RSA generation is the slow part of this file.
const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 });
const rsa2048 = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ecP256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const GOOD_KEY = { ...publicJwk(ecP256.publicKey), kid: 'ec-1', use: 'sig', alg: 'ES256' };
const GOOD_CACHE = { 'cache-control': 'public, max-age=300' };

let server: EndpointServer;
let issuer: string;
const now = Math.floor(Date.now() / 1000);
const GOOD_HEADER = { alg: 'ES256', kid: 'ec-1', typ: 'at+jwt' };
const goodPayload = (): Record<string, unknown> => ({ iss: issuer, aud: 'api', iat: now, exp: now + 900, jti: 'j-1', sub: 'u-1' });

/** Serves `keys` as the JWKS (and a matching discovery document) and audits them with the good policy. */
function serve(keys: unknown, headers: Record<string, string> = GOOD_CACHE, discovery: Record<string, unknown> = {}): void {
  server.routes.set('/jwks', { body: typeof keys === 'string' ? keys : { keys }, headers });
  server.routes.set('/.well-known/openid-configuration', { body: { issuer, jwks_uri: `${server.origin}/jwks`, ...discovery } });
}
const discoveryArgs = (): string[] => ['--issuer', issuer, '--discovery', '--typ', 'at+jwt', '--alg', 'ES256'];

beforeAll(async () => {
  ensureBuilt();
  server = await startEndpointServer();
  issuer = server.origin;
});
afterAll(() => server.close());

describe('a sound configuration', () => {
  it('has no findings, exit 0, and the human report says so', async () => {
    serve([GOOD_KEY]);
    const stdin = sampleToken(GOOD_HEADER, goodPayload());
    const { code, report } = await auditJson([...discoveryArgs(), '--revocation'], { stdin });
    expect(report.findings).toEqual([]);
    expect(code).toBe(0);
    expect(report.summary.checked).toEqual({ discovery: `${issuer}/.well-known/openid-configuration`, jwks: `${issuer}/jwks`, tokens: 1 });
    const text = await runCli(['audit', ...discoveryArgs()], { stdin });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('✔ no findings');
    // The token is never printed back.
    expect(text.stdout).not.toContain(stdin.split('.')[1]);
  });
});

describe('one finding each: its id and severity', () => {
  const keyCases: Array<{ name: string; keys: () => unknown[]; args?: string[]; id: string; severity: string }> = [
    { name: 'RSA 1024 bits', keys: () => [{ ...publicJwk(rsa1024.publicKey), kid: 'r1', use: 'sig' }], args: ['--alg', 'RS256'], id: 'jwks.rsa_below_2048', severity: 'high' },
    { name: 'RSA 2048 bits', keys: () => [{ ...publicJwk(rsa2048.publicKey), kid: 'r2', use: 'sig' }], args: ['--alg', 'RS256'], id: 'jwks.rsa_below_3072', severity: 'low' },
    { name: 'P-256 under a P-384 policy', keys: () => [GOOD_KEY], args: ['--min-ec-curve', 'P-384'], id: 'jwks.ec_curve_below_policy', severity: 'medium' },
    { name: 'a key without kid', keys: () => [{ ...GOOD_KEY, kid: undefined }], id: 'jwks.kid_missing', severity: 'low' },
    { name: 'a key without use or key_ops', keys: () => [{ ...GOOD_KEY, use: undefined }], id: 'jwks.use_missing', severity: 'low' },
    { name: 'a private key in the JWKS', keys: () => [{ ...ecP256.privateKey.export({ format: 'jwk' }), kid: 'ec-1', use: 'sig' }], id: 'jwks.private_key', severity: 'critical' },
    { name: 'RSA and EC keys in one JWKS', keys: () => [GOOD_KEY, { ...publicJwk(rsa2048.publicKey), kid: 'r2', use: 'sig' }], args: [], id: 'algorithms.mixed_families', severity: 'low' },
    { name: 'an even RSA exponent (the verifier refuses the key)', keys: () => [{ ...publicJwk(rsa2048.publicKey), e: 'Ag', kid: 'r2', use: 'sig' }], id: 'jwks.key_refused', severity: 'high' },
  ];
  for (const { name, keys, args, id, severity } of keyCases) {
    it(`${name} → ${id} (${severity})`, async () => {
      serve(keys());
      const base = args === undefined ? discoveryArgs() : ['--issuer', issuer, '--discovery', '--typ', 'at+jwt', ...args];
      const { report } = await auditJson(base);
      const found = withId(report, id);
      expect(found, JSON.stringify(report.findings)).toHaveLength(1);
      expect(found[0]?.severity).toBe(severity);
      expect(found[0]?.fix).not.toBe('');
    });
  }

  it('an RSA 2048 key under an RSA-only allowlist is not "mixed"; RS256 + ES256 in the allowlist is', async () => {
    serve([GOOD_KEY]);
    expect(withId((await auditJson(discoveryArgs())).report, 'algorithms.mixed_families')).toEqual([]);
    const { report } = await auditJson([...discoveryArgs(), '--alg', 'RS256']);
    expect(withId(report, 'algorithms.mixed_families')).toMatchObject([{ severity: 'low', subject: 'algorithms' }]);
  });

  it('HS256 allowed where the issuer publishes asymmetric keys → algorithms.hmac_with_asymmetric (high)', async () => {
    serve([GOOD_KEY]);
    const { report } = await auditJson(['--issuer', issuer, '--discovery', '--typ', 'at+jwt', '--alg', 'HS256']);
    expect(withId(report, 'algorithms.hmac_with_asymmetric')).toMatchObject([{ severity: 'high' }]);
  });

  it('"none" in the allowlist → algorithms.none (critical); in the issuer metadata → discovery.alg_none (medium); HS* there → discovery.hmac_alg (info)', async () => {
    serve([GOOD_KEY], GOOD_CACHE, { id_token_signing_alg_values_supported: ['ES256', 'HS256', 'none'] });
    const { report } = await auditJson([...discoveryArgs(), '--alg', 'none']);
    expect(withId(report, 'algorithms.none')).toMatchObject([{ severity: 'critical' }]);
    expect(withId(report, 'discovery.alg_none')).toMatchObject([{ severity: 'medium' }]);
    expect(withId(report, 'discovery.hmac_alg')).toMatchObject([{ severity: 'info', message: expect.stringContaining('HS256') }]);
  });

  it('a discovery issuer with a trailing slash the configuration lacks → discovery.issuer_mismatch (high), in the core\'s words', async () => {
    serve([GOOD_KEY], GOOD_CACHE, { issuer: `${issuer}/` });
    const { report, code } = await auditJson(discoveryArgs());
    expect(withId(report, 'discovery.issuer_mismatch')).toMatchObject([{ severity: 'high', message: expect.stringContaining('a trailing slash counts') }]);
    expect(code).toBe(1);
  });

  const cacheCases: Array<[string, Record<string, string>, string, string]> = [
    ['no Cache-Control', {}, 'jwks.cache_control_missing', 'low'],
    ['Cache-Control: no-store', { 'cache-control': 'no-store' }, 'jwks.cache_control_no_cache', 'medium'],
    ['Cache-Control: max-age=0', { 'cache-control': 'max-age=0' }, 'jwks.cache_control_no_cache', 'medium'],
    ['max-age of a week', { 'cache-control': 'public, max-age=604800' }, 'jwks.cache_control_too_long', 'low'],
  ];
  for (const [name, headers, id, severity] of cacheCases) {
    it(`JWKS with ${name} → ${id} (${severity})`, async () => {
      serve([GOOD_KEY], headers);
      expect(withId((await auditJson(discoveryArgs())).report, id)).toMatchObject([{ severity, subject: `${issuer}/jwks` }]);
    });
  }

  const tokenCases: Array<{ name: string; header?: Record<string, unknown>; payload?: Record<string, unknown>; args?: string[]; id: string; severity: string }> = [
    { name: 'no typ', header: { alg: 'ES256', kid: 'ec-1' }, id: 'token.typ_missing', severity: 'medium' },
    { name: 'typ JWT', header: { ...GOOD_HEADER, typ: 'JWT' }, id: 'token.typ_not_at_jwt', severity: 'low' },
    { name: 'a 2 h lifetime under the default 1 h policy', payload: { exp: now + 7200 }, id: 'token.lifetime_above_policy', severity: 'medium' },
    { name: 'a 20 min lifetime under --max-lifetime 16m', args: ['--max-lifetime', '16m'], payload: { exp: now + 1200 }, id: 'token.lifetime_above_policy', severity: 'medium' },
    { name: 'no jti while --revocation', payload: { jti: undefined }, args: ['--revocation'], id: 'token.jti_missing', severity: 'medium' },
    { name: 'no jti while --revoked-jti', payload: { jti: undefined }, args: ['--revoked-jti', 'other'], id: 'token.jti_missing', severity: 'medium' },
    { name: 'no exp', payload: { exp: undefined }, id: 'token.exp_missing', severity: 'high' },
    { name: 'a kid the JWKS lacks', header: { ...GOOD_HEADER, kid: 'gone' }, id: 'token.kid_unknown', severity: 'medium' },
    { name: 'an alg outside the allowlist', header: { ...GOOD_HEADER, alg: 'RS256' }, id: 'token.alg_not_allowed', severity: 'medium' },
  ];
  for (const { name, header, payload, args = [], id, severity } of tokenCases) {
    it(`a token with ${name} → ${id} (${severity}); never printed back`, async () => {
      serve([GOOD_KEY]);
      const token = sampleToken(header ?? GOOD_HEADER, { ...goodPayload(), ...payload });
      const { report, stdout } = await auditJson([...discoveryArgs(), ...args], { stdin: `${sampleToken(GOOD_HEADER, goodPayload())}\n\nBearer ${token}\n` });
      expect(withId(report, id)).toMatchObject([{ severity, subject: expect.stringMatching(/^token #2 \(sha256 [0-9a-f]{12}…\)$/) }]);
      expect(report.summary.checked.tokens).toBe(2);
      expect(stdout).not.toContain(token.split('.')[1]);
    });
  }

  it('a sound token: no jti finding without revocation, no lifetime finding under --max-lifetime 3h', async () => {
    serve([GOOD_KEY]);
    const stdin = sampleToken(GOOD_HEADER, { ...goodPayload(), jti: undefined, exp: now + 7200 });
    const { report } = await auditJson([...discoveryArgs(), '--max-lifetime', '3h'], { stdin });
    expect(report.findings).toEqual([]);
  });

  it('no --typ in the configuration → config.typ_not_required (low)', async () => {
    serve([GOOD_KEY]);
    const { report } = await auditJson(['--issuer', issuer, '--discovery', '--alg', 'ES256']);
    expect(report.findings.map((item) => [item.id, item.severity])).toEqual([['config.typ_not_required', 'low']]);
  });

  it('a placeholder HMAC secret → secret.weak (high), from the core\'s strength check; the secret is not printed', async () => {
    const secret = 'changeme-changeme-changeme-changeme';
    const { report, stdout } = await auditJson(['--secret-env', 'APP_SECRET', '--alg', 'HS256', '--typ', 'at+jwt'], { env: { APP_SECRET: secret } });
    expect(withId(report, 'secret.weak')).toMatchObject([{ severity: 'high', subject: '$APP_SECRET', message: expect.stringContaining('placeholder') }]);
    expect(stdout).not.toContain(secret);
    const strong = await auditJson(['--secret-env', 'APP_SECRET', '--alg', 'HS256', '--typ', 'at+jwt'], { env: { APP_SECRET: 'Zq3v9LmN2xR7tY5wB8kD1fH4jP6sU0cA' } });
    expect(strong.report.findings).toEqual([]);
  });

  it('a local JWKS (--jwks-env) is audited too, without Cache-Control findings', async () => {
    const jwks = JSON.stringify({ keys: [{ ...publicJwk(rsa1024.publicKey), use: 'sig' }] });
    const { report } = await auditJson(['--jwks-env', 'APP_JWKS', '--typ', 'at+jwt'], { env: { APP_JWKS: jwks } });
    expect(report.findings.map((item) => item.id).sort()).toEqual(['jwks.kid_missing', 'jwks.rsa_below_2048']);
  });
});

describe('the configuration file and hostile values', () => {
  it('--config: the inspect config file is the configuration; flags win; an unknown key is exit 2 with did-you-mean', async () => {
    serve([GOOD_KEY], { 'cache-control': 'no-store' });
    const dir = mkdtempSync(path.join(tmpdir(), 'jwt-guard-audit-'));
    const file = path.join(dir, 'jwt-guard.json');
    writeFileSync(file, JSON.stringify({ issuer, discovery: true, typ: 'at+jwt', algorithms: ['ES256'] }));
    const { report } = await auditJson(['--config', file]);
    expect(report.findings.map((item) => item.id)).toEqual(['jwks.cache_control_no_cache']);
    expect(withId((await auditJson(['--config', file, '--alg', 'HS256'])).report, 'algorithms.hmac_with_asymmetric')).toHaveLength(1);
    writeFileSync(file, JSON.stringify({ isuer: issuer }));
    const wrong = await runCli(['audit', '--config', file]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('did you mean "issuer"?');
  });

  it('a kid or an issuer holding terminal escapes is printed escaped, and its newline never starts a line of its own', async () => {
    const hostile = 'k\u001b]52;c;aGk=\u0007\n✔ no findings\u202e';
    serve([{ ...GOOD_KEY, kid: hostile, use: undefined }], GOOD_CACHE, { issuer: `x${hostile}` });
    const text = await runCli(['audit', ...discoveryArgs()]);
    expect(text.code).toBe(1);
    // eslint-disable-next-line no-control-regex
    expect(text.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(text.stdout.split('\n').filter((line) => line.startsWith('✔'))).toEqual([]);
    expect(text.stdout).toContain('\\u001b]52');
  });
});

describe('--json, --fail-on and exit codes', () => {
  it('--json: { findings: [{ id, severity, message, fix, subject? }], summary }, most severe first', async () => {
    serve([{ ...GOOD_KEY, kid: undefined, use: undefined }], { 'cache-control': 'no-store' }, { issuer: `${issuer}/` });
    const { report } = await auditJson(discoveryArgs());
    expect(Object.keys(report).sort()).toEqual(['findings', 'summary']);
    for (const item of report.findings) {
      expect(Object.keys(item).filter((key) => key !== 'subject').sort()).toEqual(['fix', 'id', 'message', 'severity']);
      expect(item.id).toMatch(/^[a-z]+\.[a-z0-9_]+$/);
    }
    const ranks = report.findings.map((item) => ['info', 'low', 'medium', 'high', 'critical'].indexOf(item.severity));
    expect(ranks).toEqual([...ranks].sort((a, b) => b - a));
    expect(report.summary).toMatchObject({ total: 4, bySeverity: { critical: 0, high: 1, medium: 1, low: 2, info: 0 }, failOn: 'high', failed: true });
  });

  it('exit 0 below --fail-on, 1 at or above it (default high)', async () => {
    serve([GOOD_KEY], { 'cache-control': 'no-store' }); // one medium finding
    expect((await runCli(['audit', ...discoveryArgs()])).code).toBe(0);
    expect((await runCli(['audit', ...discoveryArgs(), '--fail-on', 'medium'])).code).toBe(1);
    expect((await runCli(['audit', ...discoveryArgs(), '--fail-on', 'low'])).code).toBe(1);
    expect((await runCli(['audit', ...discoveryArgs(), '--fail-on', 'critical'])).code).toBe(0);
    const text = await runCli(['audit', ...discoveryArgs(), '--fail-on', 'medium']);
    expect(text.stdout).toMatch(/✘ 1 finding\(s\): 1 medium \(--fail-on medium: failing\)/);
    expect(text.stdout).toContain('MEDIUM   jwks.cache_control_no_cache');
  });

  it('usage errors exit 2: an unknown flag (did you mean), a bad --fail-on, an unset --secret-env, nothing to review', async () => {
    const unknown = await runCli(['audit', '--issuer', issuer, '--max-lifetme', '1h']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown option --max-lifetme; did you mean --max-lifetime?');
    const failOn = await runCli(['audit', '--issuer', issuer, '--fail-on', 'hihg']);
    expect(failOn.code).toBe(2);
    expect(failOn.stderr).toContain('did you mean high?');
    const unset = await runCli(['audit', '--secret-env', 'AUDIT_UNSET_SECRET']);
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain('$AUDIT_UNSET_SECRET is not set');
    const nothing = await runCli(['audit']);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('nothing to review');
  });
});

describe('unreachable and hostile endpoints are findings, bounded, never a crash', () => {
  it('a closed port → discovery.unreachable (high), exit 1', async () => {
    const closed = await startEndpointServer();
    await closed.close();
    const { report, code, stderr } = await auditJson(['--issuer', closed.origin, '--discovery', '--typ', 'at+jwt']);
    expect(withId(report, 'discovery.unreachable')).toMatchObject([{ severity: 'high', subject: `${closed.origin}/.well-known/openid-configuration` }]);
    expect(code).toBe(1);
    expect(stderr).toBe('');
  });

  it('a JWKS answering 500 → jwks.unreachable naming the status', async () => {
    server.routes.set('/broken', { status: 500, body: {} });
    const { report } = await auditJson(['--jwks-uri', `${server.origin}/broken`, '--typ', 'at+jwt']);
    expect(withId(report, 'jwks.unreachable')).toMatchObject([{ severity: 'high', message: expect.stringContaining('HTTP 500') }]);
  });

  it('a 2 MB JWKS is cut at --max-bytes; garbage JSON and a non-JWKS are findings', async () => {
    server.routes.set('/huge', { body: { keys: Array.from({ length: 20_000 }, (_, index) => ({ ...GOOD_KEY, kid: `k${index}` })) } });
    const huge = await auditJson(['--jwks-uri', `${server.origin}/huge`, '--typ', 'at+jwt']);
    expect(withId(huge.report, 'jwks.unreachable')).toMatchObject([{ message: expect.stringContaining('larger than 1048576 bytes') }]);
    server.routes.set('/garbage', { body: '{"keys": [' });
    expect(withId((await auditJson(['--jwks-uri', `${server.origin}/garbage`, '--typ', 'at+jwt'])).report, 'jwks.unreachable')).toMatchObject([{ message: expect.stringContaining('not JSON') }]);
    server.routes.set('/not-a-set', { body: { keys: 'all of them' }, headers: GOOD_CACHE });
    expect(withId((await auditJson(['--jwks-uri', `${server.origin}/not-a-set`, '--typ', 'at+jwt'])).report, 'jwks.invalid')).toMatchObject([{ severity: 'high' }]);
  });

  it('a JWKS of 5000 keys within the size bound: the first 100 audited, jwks.too_many_keys', async () => {
    server.routes.set('/many', { body: { keys: Array.from({ length: 5000 }, (_, index) => ({ kty: 'EC', crv: 'P-256', kid: `k${index}` })) }, headers: GOOD_CACHE });
    const { report } = await auditJson(['--jwks-uri', `${server.origin}/many`, '--typ', 'at+jwt', '--max-bytes', '4000000']);
    expect(withId(report, 'jwks.too_many_keys')).toMatchObject([{ severity: 'low', message: expect.stringContaining('5000 keys') }]);
    expect(withId(report, 'jwks.key_refused').length).toBeLessThanOrEqual(100);
  });

  it('a server that never answers is a finding after --timeout, not a hang', async () => {
    server.routes.set('/slow', { body: { keys: [] }, delayMs: 20_000 });
    const started = Date.now();
    const { report } = await auditJson(['--jwks-uri', `${server.origin}/slow`, '--typ', 'at+jwt', '--timeout', '1s']);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(withId(report, 'jwks.unreachable')).toMatchObject([{ message: expect.stringContaining('within 1000 ms (--timeout)') }]);
  });
});
