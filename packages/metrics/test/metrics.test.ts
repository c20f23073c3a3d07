import { Writable } from 'node:stream';
import * as otelApi from '@opentelemetry/api';
import pino from 'pino';
import promClient, { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createGuard, type GuardRequest } from '@jwt-guard/core';
import { combineHooks, otelHooks, pathOf, pinoDetectionHook, pinoHooks, prometheusMetrics, type SpanLike } from '@jwt-guard/metrics';
import { createTestIssuer, generateTestKeys, mintToken, serveJwks } from '@jwt-guard/testing';

const request = (token?: string, url = '/orders?session=secret-in-query'): GuardRequest => ({
  method: 'GET',
  url,
  headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
});

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: pino({ level: 'debug' }, stream) };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('pinoHooks', () => {
  it('logs verified and refused tokens with iss, sub, jti, kid, alg, reason and latency — never the token', async () => {
    const issuer = await createTestIssuer({ algorithm: 'ES256', serveJwks: false });
    const { lines, logger } = capture();
    const guard = createGuard({ ...issuer.verifierOptions(), ...pinoHooks(logger) });
    const good = await issuer.sign({}, { jti: 'jti-1' });
    const expired = await issuer.expiredToken();
    await guard.authenticate(request(good));
    await guard.authenticate(request(expired));
    await guard.authenticate(request());
    await flush();

    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({
      level: 20,
      msg: 'jwt-guard: token verified',
      event: 'jwt_guard.verified',
      outcome: 'verified',
      iss: issuer.issuer,
      sub: 'user-1',
      jti: 'jti-1',
      kid: issuer.keys.kid,
      alg: 'ES256',
      method: 'GET',
      path: '/orders',
    });
    expect(lines[0]?.durationMs).toEqual(expect.any(Number));
    expect(lines[1]).toMatchObject({ level: 30, event: 'jwt_guard.rejected', outcome: 'rejected', reason: 'token_expired', status: 401 });
    expect(lines[2]).toMatchObject({ reason: 'token_missing' });
    const all = JSON.stringify(lines);
    expect(all).not.toContain(good);
    expect(all).not.toContain(expired.split('.')[2]);
    expect(all).not.toContain('secret-in-query');
    await issuer.close();
  });

  it('takes levels, a nest key and a transform', async () => {
    const issuer = await createTestIssuer({ algorithm: 'HS256' });
    const { lines, logger } = capture();
    const hooks = pinoHooks(logger, { verifiedLevel: 'silent', rejectedLevel: 'warn', nestKey: 'auth', transform: (fields) => ({ ...fields, method: 'X' }) });
    const guard = createGuard({ ...issuer.verifierOptions(), ...hooks });
    await guard.authenticate(request(await issuer.sign()));
    await guard.authenticate(request(await issuer.wrongAudienceToken()));
    await flush();
    expect(lines).toEqual([expect.objectContaining({ level: 40, auth: expect.objectContaining({ reason: 'audience_mismatch', method: 'X' }) })]);
  });

  it('refuses something that is not a logger', () => {
    expect(() => pinoHooks({} as never)).toThrow(/pass a pino logger/);
    expect(() => pinoDetectionHook({} as never)).toThrow(/pass a pino logger/);
  });

  it('logs key source events from a real JWKS server: fetches at debug, an unknown kid at info, never a key', async () => {
    const keys = await generateTestKeys('RS256');
    const server = await serveJwks([keys.jwk]);
    const { lines, logger } = capture();
    const issuer = 'https://issuer.jwt-guard.test/';
    const audience = 'https://api.jwt-guard.test';
    const guard = createGuard({ jwksUri: server.url, issuer, audience, algorithms: ['RS256'], ...pinoHooks(logger, { verifiedLevel: 'silent' }) });
    await guard.authenticate(request(await mintToken(keys, {}, { issuer, audience })));
    await guard.authenticate(request(await mintToken(keys, {}, { issuer, audience, header: { kid: 'rotated-away' } })));
    await flush();
    await server.close();
    const keyLines = lines.filter((line) => line.event === 'jwt_guard.key_event');
    expect(keyLines).toEqual([
      expect.objectContaining({ level: 20, type: 'keys_fetched', url: server.url, keyCount: 1, msg: 'jwt-guard: key source keys_fetched' }),
      expect.objectContaining({ level: 30, type: 'unknown_kid', url: server.url, kid: 'rotated-away', refetched: true }),
      expect.objectContaining({ level: 20, type: 'keys_fetched', url: server.url }), // the refetch the unknown kid caused
    ]);
    const all = JSON.stringify(lines);
    expect(all).not.toContain(String(keys.jwk.n));
  });

  it('logs a detection at warn with its facts, picked by name', async () => {
    const { lines, logger } = capture();
    const hook = pinoDetectionHook(logger);
    const event = {
      type: 'token_shared' as const, action: 'revoke_token' as const, actionFailed: false, clientAddress: '203.0.113.9',
      distinctAddresses: 4, distinctUserAgents: 1, windowSeconds: 300, iss: 'https://id.example/', sub: 'user-1', jti: 'j-1', token: 'must-not-be-logged',
    };
    hook(event);
    await flush();
    expect(lines).toEqual([
      expect.objectContaining({
        level: 40, event: 'jwt_guard.detection', type: 'token_shared', action: 'revoke_token', actionFailed: false,
        clientAddress: '203.0.113.9', distinctAddresses: 4, windowSeconds: 300, sub: 'user-1', jti: 'j-1',
        msg: 'jwt-guard: token_shared detected (action revoke_token)',
      }),
    ]);
    expect(JSON.stringify(lines)).not.toContain('must-not-be-logged');
  });
});

describe('prometheusMetrics', () => {
  it('counts by outcome and reason and times verification', async () => {
    const issuer = await createTestIssuer({ algorithm: 'HS256' });
    const registry = new Registry();
    const metrics = prometheusMetrics({ client: promClient, registry });
    const guard = createGuard({ ...issuer.verifierOptions(), ...metrics.hooks, credentialsRequired: false, anonymousOnInvalidToken: true });
    await guard.authenticate(request(await issuer.sign()));
    await guard.authenticate(request(await issuer.sign()));
    await guard.authenticate(request(await issuer.expiredToken()));
    await guard.authenticate(request('garbage'));
    const text = await registry.metrics();
    expect(text).toContain('jwt_guard_verifications_total{outcome="verified",reason="ok"} 2');
    expect(text).toContain('jwt_guard_verifications_total{outcome="anonymous",reason="token_expired"} 1');
    expect(text).toContain('jwt_guard_verifications_total{outcome="anonymous",reason="token_malformed"} 1');
    expect(text).toMatch(/jwt_guard_verification_duration_seconds_count\{outcome="verified"\} 2/);
    expect(registry.contentType).toMatch(/text\/plain/);
  });

  it('loads prom-client itself, reuses metrics on a second call, and takes a prefix', async () => {
    const registry = new Registry();
    const first = prometheusMetrics({ registry, prefix: 'api_auth_' });
    const second = prometheusMetrics({ registry, prefix: 'api_auth_' });
    expect(second.verifications).toBe(first.verifications);
    expect(await registry.metrics()).toContain('# TYPE api_auth_verifications_total counter');
    expect(() => prometheusMetrics({ registry, prefix: 'bad prefix' })).toThrow(/not a valid metric name prefix/);
  });
});

describe('otelHooks', () => {
  function fakeApi() {
    const attributes: Record<string, unknown> = {};
    const span: SpanLike = { setAttributes: (values) => Object.assign(attributes, values), isRecording: () => true };
    return { attributes, api: { trace: { getActiveSpan: () => span } } };
  }

  it('sets enduser.id, jwt_guard.outcome and jwt_guard.reason on the active span', async () => {
    const issuer = await createTestIssuer({ algorithm: 'HS256' });
    const verified = fakeApi();
    await createGuard({ ...issuer.verifierOptions(), ...otelHooks({ api: verified.api }) }).authenticate(request(await issuer.tokenWithScopes('a', 'b')));
    expect(verified.attributes).toMatchObject({ 'enduser.id': 'user-1', 'enduser.scope': 'a b', 'jwt_guard.outcome': 'verified', 'jwt_guard.alg': 'HS256' });

    const rejected = fakeApi();
    await createGuard({ ...issuer.verifierOptions(), ...otelHooks({ api: rejected.api }) }).authenticate(request(await issuer.expiredToken()));
    expect(rejected.attributes).toMatchObject({ 'jwt_guard.outcome': 'rejected', 'jwt_guard.reason': 'token_expired' });
    expect(rejected.attributes).not.toHaveProperty('enduser.id');

    const private_ = fakeApi();
    await createGuard({ ...issuer.verifierOptions(), ...otelHooks({ api: private_.api, setEndUserId: false }) }).authenticate(request(await issuer.sign()));
    expect(private_.attributes).not.toHaveProperty('enduser.id');
  });

  it('does nothing without an active span (the real @opentelemetry/api, no SDK)', async () => {
    expect(otelApi.trace.getActiveSpan()).toBeUndefined();
    const hooks = otelHooks();
    const issuer = await createTestIssuer({ algorithm: 'HS256' });
    const outcome = await createGuard({ ...issuer.verifierOptions(), ...hooks }).authenticate(request(await issuer.sign()));
    expect(outcome.type).toBe('authenticated');
  });
});

describe('combineHooks', () => {
  it('calls every hook, even after one throws', () => {
    const calls: string[] = [];
    const hooks = combineHooks(
      { onRejected: () => { throw new Error('boom'); } },
      undefined,
      { onRejected: (event) => void calls.push(event.code) },
    );
    hooks.onRejected({ code: 'token_missing' } as never);
    hooks.onVerified({} as never);
    expect(calls).toEqual(['token_missing']);
  });

  it('passes onKeyEvent and onDetection on, and has them only when an input does', () => {
    const calls: string[] = [];
    const plain = combineHooks({ onVerified: () => undefined });
    expect(plain).not.toHaveProperty('onKeyEvent');
    expect(plain).not.toHaveProperty('onDetection');
    const hooks = combineHooks(
      { onKeyEvent: () => { throw new Error('boom'); } },
      { onKeyEvent: (event) => void calls.push(event.type), onDetection: (event) => void calls.push(event.type) },
    );
    hooks.onKeyEvent?.({ type: 'stale_keys_served', url: 'https://id.example/jwks', ageMs: 1 });
    hooks.onDetection?.({ type: 'forgery_probe', action: 'none', actionFailed: false });
    expect(calls).toEqual(['stale_keys_served', 'forgery_probe']);
  });

  it('ignores an async hook that rejects, like one that throws (no unhandled rejection)', async () => {
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', record);
    try {
      const calls: string[] = [];
      const hooks = combineHooks(
        { onRejected: async () => { throw new Error('log sink down'); } },
        { onRejected: (event) => void calls.push(event.code) },
      );
      hooks.onRejected({ code: 'token_missing' } as never);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(calls).toEqual(['token_missing']);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', record);
    }
  });

  it('pathOf drops the query string and fragment', () => {
    expect(pathOf('/a/b?x=1#f')).toBe('/a/b');
    expect(pathOf('/a#f')).toBe('/a');
    expect(pathOf('/a')).toBe('/a');
  });
});
