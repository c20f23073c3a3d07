import * as otelApi from '@opentelemetry/api';
import { DataPointType, MeterProvider, MetricReader, type DataPoint, type Histogram, type MetricData } from '@opentelemetry/sdk-metrics';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { jwtGuard } from '@jwt-guard/fastify';
import { otelMetrics } from '@jwt-guard/metrics';
import { bearer, generateTestKeys, mintToken, serveJwks } from '@jwt-guard/testing';

/** A reader collected by hand: what an exporter would receive at its next export. */
class ManualReader extends MetricReader {
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function collect(reader: MetricReader): Promise<Map<string, MetricData>> {
  const { resourceMetrics, errors } = await reader.collect();
  expect(errors).toEqual([]);
  return new Map(resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics).map((metric) => [metric.descriptor.name, metric]));
}

function point<T>(metric: MetricData | undefined, attributes: Record<string, string>): DataPoint<T> | undefined {
  const points = (metric?.dataPoints ?? []) as Array<DataPoint<T>>;
  return points.find((candidate) => JSON.stringify(Object.entries(candidate.attributes).sort()) === JSON.stringify(Object.entries(attributes).sort()));
}

const issuer = 'https://issuer.jwt-guard.test/';
const audience = 'https://api.jwt-guard.test';

describe('otelMetrics (the real @opentelemetry/sdk-metrics, through the Fastify guard)', () => {
  it('records the posture, key source and detection instruments', async () => {
    const reader = new ManualReader();
    const provider = new MeterProvider({ readers: [reader] });
    cleanups.push(() => provider.shutdown());
    const metrics = otelMetrics({ meter: provider.getMeter('test') });

    const keys = await generateTestKeys('ES256');
    const server = await serveJwks([keys.jwk]);
    cleanups.push(() => server.close());
    server.fail(503);
    const app = Fastify();
    cleanups.push(() => app.close());
    await app.register(jwtGuard, { jwksUri: server.url, issuer, audience, algorithms: ['ES256'], ...metrics.hooks });
    app.get('/orders', async () => []);
    const get = async (token: string) => (await app.inject({ url: '/orders', headers: bearer(token) })).statusCode;
    const token = await mintToken(keys, {}, { issuer, audience, expiresIn: '5m' });

    expect(await get(token)).toBe(503);
    const failing = await collect(reader);
    expect(point<number>(failing.get('jwt_guard_key_source_consecutive_failures'), { url: server.url })?.value).toBe(1);

    server.fail(undefined);
    // The source backs off 1 s after the failure: ask until it fetched.
    for (let attempt = 0; attempt < 50 && (await get(token)) !== 200; attempt++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await get(await mintToken(keys, {}, { issuer, audience, expiresIn: '2h', jti: null, header: { typ: null } }))).toBe(200);
    metrics.onDetection({ type: 'token_shared', action: 'revoke_subject', actionFailed: true });

    const collected = await collect(reader);
    const kid = keys.kid ?? '';
    expect(point<number>(collected.get('jwt_guard_tokens_verified'), { iss: issuer, alg: 'ES256', kid })?.value).toBe(2);
    expect(point<number>(collected.get('jwt_guard_tokens_without_jti'), { iss: issuer })?.value).toBe(1);
    expect(point<number>(collected.get('jwt_guard_tokens_without_typ'), { iss: issuer })?.value).toBe(1);
    expect(point<number>(collected.get('jwt_guard_tokens_over_lifetime_policy'), { iss: issuer })?.value).toBe(1);
    const lifetime = collected.get('jwt_guard_token_lifetime');
    expect(lifetime?.dataPointType).toBe(DataPointType.HISTOGRAM);
    expect(lifetime?.descriptor.unit).toBe('s');
    const lifetimePoint = point<Histogram>(lifetime, { iss: issuer });
    expect(lifetimePoint?.value.count).toBe(2);
    expect(lifetimePoint?.value.sum).toBe(300 + 7200);
    expect(lifetimePoint?.value.buckets.boundaries).toEqual([60, 300, 900, 1800, 3600, 7200, 21600, 86400, 604800]);
    const firstSeen = point<number>(collected.get('jwt_guard_key_first_seen_timestamp'), { iss: issuer, kid })?.value;
    expect(firstSeen).toBeGreaterThan(Date.now() / 1000 - 600);
    expect(firstSeen).toBeLessThanOrEqual(Date.now() / 1000);
    expect(point<number>(collected.get('jwt_guard_key_source_consecutive_failures'), { url: server.url })?.value).toBe(0);
    expect(point<number>(collected.get('jwt_guard_key_source_events'), { type: 'keys_fetch_failed', url: server.url })?.value).toBe(1);
    expect(point<number>(collected.get('jwt_guard_key_source_events'), { type: 'keys_fetched', url: server.url })?.value).toBe(1);
    expect(point<Histogram>(collected.get('jwt_guard_jwks_fetch_duration'), { outcome: 'failed' })?.value.count).toBe(1);
    expect(point<number>(collected.get('jwt_guard_verifications'), { outcome: 'rejected', reason: 'key_source_unavailable' })?.value).toBeGreaterThanOrEqual(1);
    expect(point<number>(collected.get('jwt_guard_detections'), { detector: 'token_shared', action: 'revoke_subject', failed: 'true' })?.value).toBe(1);
  });

  it('uses the global MeterProvider through @opentelemetry/api when no meter is given', async () => {
    const reader = new ManualReader();
    const provider = new MeterProvider({ readers: [reader] });
    otelApi.metrics.setGlobalMeterProvider(provider);
    cleanups.push(async () => {
      otelApi.metrics.disable();
      await provider.shutdown();
    });
    const metrics = otelMetrics();
    const keys = await generateTestKeys('ES256');
    const app = Fastify();
    cleanups.push(() => app.close());
    await app.register(jwtGuard, { jwks: { keys: [keys.jwk] }, issuer, audience, algorithms: ['ES256'], ...metrics.hooks });
    app.get('/orders', async () => []);
    const expired = await mintToken(keys, {}, { issuer, audience, expiresIn: -60 });
    expect((await app.inject({ url: '/orders', headers: bearer(expired) })).statusCode).toBe(401);
    const collected = await collect(reader);
    expect(point<number>(collected.get('jwt_guard_verifications'), { outcome: 'rejected', reason: 'token_expired' })?.value).toBe(1);
  });
});
