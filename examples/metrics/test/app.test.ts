import { Writable } from 'node:stream';
import pino from 'pino';
import { Registry } from 'prom-client';
import request from 'supertest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bearer, createTestIssuer, type TestIssuer } from '@jwt-guard/testing';
import { createApp } from '../src/app.js';

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer({ algorithm: 'RS256' });
});
afterAll(() => issuer.close());

/** The value of one sample line of the Prometheus text format, 0 when absent. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

it('serves counters on /metrics that change when requests are refused', async () => {
  const logLines: string[] = [];
  const logger = pino(new Writable({ write: (chunk: Buffer, _encoding, done) => { logLines.push(chunk.toString()); done(); } }));
  const app = createApp(issuer.verifierOptions({ source: 'jwksUri' }), { registry: new Registry(), logger });
  const scrape = async () => (await request(app).get('/metrics').expect(200).expect('content-type', /text\/plain/)).text;

  const before = await scrape();
  expect(before).toContain('# TYPE jwt_guard_verifications_total counter');
  expect(sample(before, 'jwt_guard_verifications_total{outcome="rejected",reason="token_expired"}')).toBe(0);

  await request(app).get('/orders').set(bearer(await issuer.tokenWithScopes('orders:read'))).expect(200);
  await request(app).get('/orders').set(bearer(await issuer.expiredToken())).expect(401);
  await request(app).get('/orders').set(bearer(await issuer.expiredToken())).expect(401);
  await request(app).get('/orders').set(bearer(await issuer.wrongAudienceToken())).expect(401);
  await request(app).get('/orders').set(bearer(await issuer.tokenWithoutScopes())).expect(403);
  await request(app).get('/orders').expect(401);

  const after = await scrape();
  expect(sample(after, 'jwt_guard_verifications_total{outcome="rejected",reason="token_expired"}')).toBe(2);
  expect(sample(after, 'jwt_guard_verifications_total{outcome="rejected",reason="audience_mismatch"}')).toBe(1);
  expect(sample(after, 'jwt_guard_verifications_total{outcome="rejected",reason="insufficient_scope"}')).toBe(1);
  expect(sample(after, 'jwt_guard_verifications_total{outcome="rejected",reason="token_missing"}')).toBe(1);
  // The 403 request's token verified before the scope check refused it.
  expect(sample(after, 'jwt_guard_verifications_total{outcome="verified",reason="ok"}')).toBe(2);
  expect(sample(after, 'jwt_guard_verification_duration_seconds_count{outcome="rejected"}')).toBe(5);

  const logs = logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(logs.filter((entry) => entry.event === 'jwt_guard.rejected').map((entry) => entry.reason)).toEqual([
    'token_expired', 'token_expired', 'audience_mismatch', 'insufficient_scope', 'token_missing',
  ]);
  expect(logs.find((entry) => entry.reason === 'audience_mismatch')).toMatchObject({ status: 401, path: '/orders' });
});
