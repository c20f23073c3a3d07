import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { expect, it } from 'vitest';
import { jwtGuard, requireScope } from '@jwt-guard/fastify';
import { combineHooks, pinoHooks, prometheusMetrics } from '@jwt-guard/metrics';
import { bearer, createTestIssuer } from '@jwt-guard/testing';
import { Registry } from 'prom-client';

it("logs through Fastify's own pino logger (app.log) and counts refusals", async () => {
  const issuer = await createTestIssuer({ algorithm: 'EdDSA', serveJwks: false });
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const app = Fastify({ logger: { level: 'debug', stream } });
  const registry = new Registry();
  const metrics = prometheusMetrics({ registry });
  await app.register(jwtGuard, { ...issuer.verifierOptions(), ...combineHooks(pinoHooks(app.log), metrics.hooks) });
  app.get('/orders', { preHandler: requireScope('orders:read') }, async () => []);

  const token = await issuer.tokenWithScopes('orders:read');
  expect((await app.inject({ url: '/orders', headers: bearer(token) })).statusCode).toBe(200);
  expect((await app.inject({ url: '/orders', headers: bearer(await issuer.wrongIssuerToken()) })).statusCode).toBe(401);
  await app.close();
  await issuer.close();

  const guardLines = lines.filter((line) => typeof line.event === 'string' && line.event.startsWith('jwt_guard.'));
  expect(guardLines).toEqual([
    expect.objectContaining({ event: 'jwt_guard.verified', level: 20, alg: 'EdDSA', sub: 'user-1', kid: issuer.keys.kid }),
    expect.objectContaining({ event: 'jwt_guard.rejected', level: 30, reason: 'issuer_mismatch', status: 401 }),
  ]);
  expect(JSON.stringify(lines)).not.toContain(token);
  expect(await registry.metrics()).toContain('jwt_guard_verifications_total{outcome="rejected",reason="issuer_mismatch"} 1');
});
