import express from 'express';
import request from 'supertest';
import { it } from 'vitest';
import { jwtGuard, requireScope } from '@jwt-guard/express';
import { bearer, createTestIssuer } from '@jwt-guard/testing';

// The promise of @jwt-guard/testing: a passing supertest test of a protected route in five lines.
it('GET /orders answers 200 to a token with orders:read', async () => {
  const issuer = await createTestIssuer();
  const app = express().use(jwtGuard(issuer.verifierOptions({ source: 'jwksUri' }))).get('/orders', requireScope('orders:read'), (_req, res) => void res.json([]));
  await request(app).get('/orders').set(bearer(await issuer.tokenWithScopes('orders:read'))).expect(200, []);
  await issuer.close();
});
