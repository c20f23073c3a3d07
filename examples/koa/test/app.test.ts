import { createServer } from 'node:http';
import request from 'supertest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestIssuer, type TestIssuer } from '@jwt-guard/testing';
import { createApp } from '../src/app.js';

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer({ algorithm: 'ES256' });
});
afterAll(() => issuer.close());

it('serves orders to a token with orders:read, and only to it', async () => {
  const server = createServer(createApp(issuer.verifierOptions()).callback());
  await request(server).get('/health').expect(200);
  await request(server).get('/orders').expect(401);
  await request(server).get('/orders').set('authorization', `Bearer ${await issuer.sign()}`).expect(403);
  const response = await request(server).get('/orders').set('authorization', `Bearer ${await issuer.tokenWithScopes('orders:read')}`).expect(200);
  expect(response.body).toEqual([{ id: 1, item: 'coffee beans', owner: 'user-1' }]);
  await request(server).post('/orders').set('authorization', `Bearer ${await issuer.tokenWithScopes('orders:write')}`).expect(201);
});
