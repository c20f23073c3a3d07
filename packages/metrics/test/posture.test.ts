import Fastify, { type FastifyInstance } from 'fastify';
import promClient, { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { jwtGuard } from '@jwt-guard/fastify';
import { combineHooks, prometheusMetrics, type PrometheusMetricsOptions } from '@jwt-guard/metrics';
import { bearer, createTestIssuer, generateTestKeys, mintToken, serveJwks, type TestIssuer } from '@jwt-guard/testing';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A Fastify app behind the real guard, counting into a fresh registry. */
async function appWith(guardOptions: Record<string, unknown>, metricsOptions: PrometheusMetricsOptions = {}) {
  const registry = new Registry();
  const metrics = prometheusMetrics({ client: promClient, registry, ...metricsOptions });
  const app: FastifyInstance = Fastify();
  await app.register(jwtGuard, { ...guardOptions, ...metrics.hooks } as never);
  app.get('/orders', async () => []);
  cleanups.push(() => app.close());
  const get = async (token: string) => (await app.inject({ url: '/orders', headers: bearer(token) })).statusCode;
  return { app, registry, metrics, get };
}

async function issuerFor(kid?: string): Promise<TestIssuer> {
  const issuer = await createTestIssuer({ algorithm: 'ES256', serveJwks: false, ...(kid === undefined ? {} : { kid }) });
  cleanups.push(() => issuer.close());
  return issuer;
}

/** The value of one sample of the exposition, or undefined when there is no such sample. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match?.[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((pair) => [pair[1], pair[2]]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value) && Object.keys(found).length === Object.keys(labels).length) {
      return Number(match[3]);
    }
  }
  return undefined;
}

describe('posture metrics (prometheusMetrics, through the Fastify guard)', () => {
  it('measures lifetime, alg and kid in use, first-seen time, and tokens without jti / typ or over the lifetime policy', async () => {
    const issuer = await issuerFor('key-2026');
    const { registry, get } = await appWith(issuer.verifierOptions());
    const iss = issuer.issuer;
    const before = Math.floor(Date.now() / 1000);
    expect(await get(await issuer.sign({}, { expiresIn: '5m' }))).toBe(200); // 300 s, jti, typ JWT
    expect(await get(await issuer.sign({}, { expiresIn: '5m' }))).toBe(200);
    expect(await get(await issuer.sign({}, { expiresIn: '2h', jti: null, header: { typ: null } }))).toBe(200); // 7200 s: over the 1 h default
    expect(await get(await issuer.sign({}, { expiresIn: '3h', issuedAt: null }))).toBe(200); // no iat: no lifetime, but at least 3 h left
    expect(await get(await issuer.expiredToken())).toBe(401); // a refused token tells nothing about posture
    const after = Math.ceil(Date.now() / 1000);

    const text = await registry.metrics();
    expect(sample(text, 'jwt_guard_tokens_verified_total', { iss, alg: 'ES256', kid: 'key-2026' })).toBe(4);
    expect(sample(text, 'jwt_guard_token_lifetime_seconds_count', { iss })).toBe(3);
    expect(sample(text, 'jwt_guard_token_lifetime_seconds_sum', { iss })).toBe(300 + 300 + 7200);
    expect(sample(text, 'jwt_guard_token_lifetime_seconds_bucket', { iss, le: '300' })).toBe(2);
    expect(sample(text, 'jwt_guard_token_lifetime_seconds_bucket', { iss, le: '3600' })).toBe(2);
    expect(sample(text, 'jwt_guard_token_lifetime_seconds_bucket', { iss, le: '7200' })).toBe(3);
    expect(sample(text, 'jwt_guard_tokens_without_jti_total', { iss })).toBe(1);
    expect(sample(text, 'jwt_guard_tokens_without_typ_total', { iss })).toBe(1);
    expect(sample(text, 'jwt_guard_tokens_over_lifetime_policy_total', { iss })).toBe(2);
    const firstSeen = sample(text, 'jwt_guard_key_first_seen_timestamp_seconds', { iss, kid: 'key-2026' });
    expect(firstSeen).toBeGreaterThanOrEqual(before);
    expect(firstSeen).toBeLessThanOrEqual(after);
    expect(sample(text, 'jwt_guard_verifications_total', { outcome: 'rejected', reason: 'token_expired' })).toBe(1);
  });

  it("labels a token without kid kid='' and keeps a kid's first-seen time when it is seen again", async () => {
    const issuer = await issuerFor();
    const { registry, get } = await appWith(issuer.verifierOptions());
    expect(await get(await issuer.sign({}, { header: { kid: null } }))).toBe(200);
    const first = sample(await registry.metrics(), 'jwt_guard_key_first_seen_timestamp_seconds', { iss: issuer.issuer, kid: '' });
    expect(first).toEqual(expect.any(Number));
    await new Promise((resolve) => setTimeout(resolve, 1100)); // a later second, so that an overwrite would show
    expect(await get(await issuer.sign({}, { header: { kid: null } }))).toBe(200);
    const text = await registry.metrics();
    expect(sample(text, 'jwt_guard_key_first_seen_timestamp_seconds', { iss: issuer.issuer, kid: '' })).toBe(first);
    expect(sample(text, 'jwt_guard_tokens_verified_total', { iss: issuer.issuer, alg: 'ES256', kid: '' })).toBe(2);
  });

  it('takes maxTokenLifetime as a duration', async () => {
    const issuer = await issuerFor();
    const { registry, get } = await appWith(issuer.verifierOptions(), { maxTokenLifetime: '4h' });
    expect(await get(await issuer.sign({}, { expiresIn: '3h' }))).toBe(200);
    expect(await get(await issuer.sign({}, { expiresIn: '5h' }))).toBe(200);
    expect(sample(await registry.metrics(), 'jwt_guard_tokens_over_lifetime_policy_total', { iss: issuer.issuer })).toBe(1);
    expect(() => prometheusMetrics({ registry: new Registry(), maxTokenLifetime: 'soon' })).toThrow(/maxTokenLifetime/);
    expect(() => prometheusMetrics({ registry: new Registry(), maxLabelValues: 0 })).toThrow(/maxLabelValues/);
  });

  it("caps the distinct values of a label (then 'other') and cuts kids to printable ASCII, 64 characters", async () => {
    const keys = await generateTestKeys('ES256');
    const issuers = Array.from({ length: 4 }, (_, index) => `https://tenant-${index}.jwt-guard.test/`);
    const audience = 'https://api.jwt-guard.test';
    const longKid = `k\u00e9y-${'x'.repeat(100)}`;
    const { registry, get } = await appWith(
      { issuers: issuers.map((issuer) => ({ issuer, jwks: { keys: [{ ...keys.jwk, kid: longKid }] } })), audience, algorithms: ['ES256'] },
      { maxLabelValues: 2 },
    );
    for (const issuer of issuers) {
      expect(await get(await mintToken(keys, {}, { issuer, audience, header: { kid: longKid } }))).toBe(200);
    }
    const text = await registry.metrics();
    const kid = `k?y-${'x'.repeat(60)}`;
    expect(kid).toHaveLength(64);
    expect(sample(text, 'jwt_guard_tokens_verified_total', { iss: issuers[0]!, alg: 'ES256', kid })).toBe(1);
    expect(sample(text, 'jwt_guard_tokens_verified_total', { iss: issuers[1]!, alg: 'ES256', kid })).toBe(1);
    expect(sample(text, 'jwt_guard_tokens_verified_total', { iss: 'other', alg: 'ES256', kid })).toBe(2);
    expect(text).not.toContain(issuers[2]);
    expect(text).not.toContain(issuers[3]);
    expect(text).not.toContain('\u00e9');
  });

  it('a hook that throws or rejects, beside the metrics, never breaks a request', async () => {
    const issuer = await issuerFor();
    const registry = new Registry();
    const metrics = prometheusMetrics({ client: promClient, registry });
    const failing = {
      onVerified: () => {
        throw new Error('metrics sink down');
      },
      onRejected: () => Promise.reject(new Error('log sink down')),
      onKeyEvent: () => {
        throw new Error('boom');
      },
    };
    const app = Fastify();
    cleanups.push(() => app.close());
    await app.register(jwtGuard, { ...issuer.verifierOptions(), ...combineHooks(failing, metrics.hooks) });
    app.get('/orders', async () => []);
    expect((await app.inject({ url: '/orders', headers: bearer(await issuer.sign()) })).statusCode).toBe(200);
    expect((await app.inject({ url: '/orders', headers: bearer(await issuer.expiredToken()) })).statusCode).toBe(401);
    const text = await registry.metrics();
    expect(sample(text, 'jwt_guard_verifications_total', { outcome: 'verified', reason: 'ok' })).toBe(1);
    expect(sample(text, 'jwt_guard_verifications_total', { outcome: 'rejected', reason: 'token_expired' })).toBe(1);
  });

  it('counts detections by detector, action and whether the action failed', async () => {
    const registry = new Registry();
    const metrics = prometheusMetrics({ client: promClient, registry });
    metrics.onDetection({ type: 'token_shared', action: 'revoke_token', actionFailed: false });
    metrics.onDetection({ type: 'token_shared', action: 'revoke_token', actionFailed: true });
    metrics.onDetection({ type: 'forgery_probe', action: 'none', actionFailed: false });
    metrics.onDetection({ type: 'forgery_probe', action: 'none', actionFailed: false });
    const text = await registry.metrics();
    expect(sample(text, 'jwt_guard_detections_total', { detector: 'token_shared', action: 'revoke_token', failed: 'false' })).toBe(1);
    expect(sample(text, 'jwt_guard_detections_total', { detector: 'token_shared', action: 'revoke_token', failed: 'true' })).toBe(1);
    expect(sample(text, 'jwt_guard_detections_total', { detector: 'forgery_probe', action: 'none', failed: 'false' })).toBe(2);
  });
});

/** Polls `check` (each call may send a request) until it holds; fails after ~10 s. */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('condition not reached within 10 s');
}

describe('key source metrics (a JWKS server on 127.0.0.1 that fails, then recovers)', () => {
  it('counts fetches and failures, times them, tracks consecutive failures and resets them on recovery', async () => {
    const keys = await generateTestKeys('RS256');
    const server = await serveJwks([keys.jwk]);
    cleanups.push(() => server.close());
    const issuer = 'https://issuer.jwt-guard.test/';
    const audience = 'https://api.jwt-guard.test';
    const token = await mintToken(keys, {}, { issuer, audience, expiresIn: '10m' });
    server.fail(503);
    const { registry, get } = await appWith({ jwksUri: server.url, issuer, audience, algorithms: ['RS256'] });
    const url = server.url;
    const failures = async () => sample(await registry.metrics(), 'jwt_guard_key_source_consecutive_failures', { url });

    expect(await get(token)).toBe(503);
    expect(await failures()).toBe(1);
    // The source backs off (1 s, then 2 s) before it tries again: ask until it has.
    await eventually(async () => (await get(token), (await failures()) === 2));
    server.fail(undefined);
    await eventually(async () => (await get(token)) === 200);

    const text = await registry.metrics();
    expect(sample(text, 'jwt_guard_key_source_consecutive_failures', { url })).toBe(0);
    expect(sample(text, 'jwt_guard_key_source_events_total', { type: 'keys_fetch_failed', url })).toBe(2);
    expect(sample(text, 'jwt_guard_key_source_events_total', { type: 'keys_fetched', url })).toBe(1);
    expect(sample(text, 'jwt_guard_jwks_fetch_duration_seconds_count', { outcome: 'failed' })).toBe(2);
    expect(sample(text, 'jwt_guard_jwks_fetch_duration_seconds_count', { outcome: 'fetched' })).toBe(1);
    expect(sample(text, 'jwt_guard_verifications_total', { outcome: 'rejected', reason: 'key_source_unavailable' })).toBeGreaterThanOrEqual(1);
  });

  it('counts stale keys served while the endpoint fails after the keys expired', async () => {
    const keys = await generateTestKeys('ES256');
    const server = await serveJwks([keys.jwk]);
    cleanups.push(() => server.close());
    const issuer = 'https://issuer.jwt-guard.test/';
    const audience = 'https://api.jwt-guard.test';
    const token = await mintToken(keys, {}, { issuer, audience, expiresIn: '10m' });
    const { registry, get } = await appWith({ jwksUri: server.url, issuer, audience, algorithms: ['ES256'], jwksCacheMaxAge: '1s', jwksCacheMinAge: '1s', tokenCache: false });
    expect(await get(token)).toBe(200);
    server.fail(500);
    const stale = async () => sample(await registry.metrics(), 'jwt_guard_key_source_events_total', { type: 'stale_keys_served', url: server.url }) ?? 0;
    await eventually(async () => (await get(token)) === 200 && (await stale()) >= 1);
    expect(await get(token)).toBe(200); // still served, from the expired keys
  });
});
