import request from 'supertest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestIssuer, type TestIssuer } from '@jwt-guard/testing';
import { createApp } from '../src/app.js';

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer({ algorithm: 'RS256' });
});
afterAll(() => issuer.close());

it('serves orders to a token with orders:read, and only to it', async () => {
  const app = createApp(issuer.verifierOptions({ source: 'jwksUri' }));
  await request(app).get('/health').expect(200);
  await request(app).get('/orders').expect(401);
  await request(app).get('/orders').set('authorization', `Bearer ${await issuer.sign()}`).expect(403);
  const response = await request(app).get('/orders').set('authorization', `Bearer ${await issuer.tokenWithScopes('orders:read')}`).expect(200);
  expect(response.body).toEqual([{ id: 1, item: 'coffee beans', owner: 'user-1' }]);
  const created = await request(app).post('/orders').send({ item: 'tea' }).set('authorization', `Bearer ${await issuer.tokenWithScopes('orders:write')}`).expect(201);
  expect(created.body).toEqual({ id: 2, item: 'tea', owner: 'user-1' });
});
