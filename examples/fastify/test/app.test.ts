import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestIssuer, type TestIssuer } from '@jwt-guard/testing';
import { createApp } from '../src/app.js';

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer({ algorithm: 'HS256' });
});
afterAll(() => issuer.close());

it('serves orders to a token with orders:read, and only to it', async () => {
  const app = await createApp(issuer.verifierOptions());
  const get = async (url: string, token?: string) =>
    app.inject({ method: 'GET', url, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
  expect((await get('/health')).statusCode).toBe(200);
  expect((await get('/orders')).statusCode).toBe(401);
  expect((await get('/orders', await issuer.sign())).statusCode).toBe(403);
  const response = await get('/orders', await issuer.tokenWithScopes('orders:read'));
  expect(response.statusCode).toBe(200);
  expect(response.json()).toEqual([{ id: 1, item: 'coffee beans', owner: 'user-1' }]);
  const created = await app.inject({
    method: 'POST',
    url: '/orders',
    headers: { authorization: `Bearer ${await issuer.tokenWithScopes('orders:write')}` },
    payload: { item: 'tea' },
  });
  expect(created.statusCode).toBe(201);
  await app.close();
});
