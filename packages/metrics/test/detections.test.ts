/**
 * The detectors' events reach the metric and the log line through the spread hooks alone
 * (`...combineHooks(pinoHooks(logger), metrics.hooks)`), with a real guard tripping for real.
 */
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import pino from 'pino';
import promClient, { Registry } from 'prom-client';
import { expect, it } from 'vitest';
import { jwtGuard } from '@jwt-guard/fastify';
import { combineHooks, pinoHooks, prometheusMetrics } from '@jwt-guard/metrics';
import { bearer, createTestIssuer } from '@jwt-guard/testing';

it('a forgery burst from one address is counted in detections_total and logged once, never with the token', async () => {
  const issuer = await createTestIssuer({ algorithm: 'ES256', serveJwks: false });
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const registry = new Registry();
  const metrics = prometheusMetrics({ client: promClient, registry });
  const app = Fastify({ trustProxy: '127.0.0.1' });
  await app.register(jwtGuard, {
    ...issuer.verifierOptions(),
    detect: { forgeryProbe: { threshold: 3, respond: 'block-client' } },
    ...combineHooks(pinoHooks(pino({ level: 'info' }, stream)), metrics.hooks),
  });
  app.get('/orders', async () => []);
  try {
    const forged = `${(await issuer.sign()).slice(0, -6)}AAAAAA`;
    const from = (token: string) => app.inject({ url: '/orders', remoteAddress: '127.0.0.1', headers: { ...bearer(token), 'x-forwarded-for': '192.0.2.66' } });
    for (let index = 0; index < 3; index++) expect((await from(forged)).statusCode).toBe(401);
    expect((await from(await issuer.sign())).statusCode).toBe(429);
    const text = await registry.metrics();
    expect(text).toContain('jwt_guard_detections_total{detector="forgery_probe",action="block_client",failed="false"} 1');
    const detections = lines.filter((line) => line.event === 'jwt_guard.detection');
    expect(detections).toMatchObject([{ type: 'forgery_probe', clientAddress: '192.0.2.66', signals: 3, action: 'block_client', actionFailed: false, level: 40 }]);
    expect(JSON.stringify(lines)).not.toContain(forged.split('.')[2]);
  } finally {
    await app.close();
    await issuer.close();
  }
});
