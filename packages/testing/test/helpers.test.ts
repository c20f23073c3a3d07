import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier } from '@jwt-guard/core';
import { jwtGuard, requireScope } from '@jwt-guard/express';
import { bearer, createTestIssuer, type TestIssuer } from '@jwt-guard/testing';

let issuer: TestIssuer;
let app: express.Express;
beforeAll(async () => {
  issuer = await createTestIssuer({ algorithm: 'ES256' });
  app = express()
    .use(jwtGuard(issuer.verifierOptions()))
    .get('/orders', requireScope('orders:read'), (_req, res) => void res.json([]));
});
afterAll(() => issuer.close());

describe('bearer(token)', () => {
  it('is the Authorization header, for supertest, fetch or inject', () => {
    expect(bearer('abc.def.ghi')).toEqual({ authorization: 'Bearer abc.def.ghi' });
  });

  it('refuses a missing token (a forgotten await)', () => {
    expect(() => bearer('')).toThrow(/forget an await/);
    expect(() => bearer(Promise.resolve('x') as never)).toThrow(TypeError);
  });
});

describe('tokenWithoutScopes()', () => {
  it('is a valid token without any scope claim', async () => {
    const auth = await createVerifier(issuer.verifierOptions()).verify(await issuer.tokenWithoutScopes({ scope: 'orders:read', role: 'x' }));
    expect(auth.scopes.size).toBe(0);
    expect(auth.payload).not.toHaveProperty('scope');
    expect(auth.payload).toMatchObject({ role: 'x', sub: 'user-1' });
  });

  it('gets 403 insufficient_scope from a scoped route', async () => {
    const response = await request(app).get('/orders').set(bearer(await issuer.tokenWithoutScopes()));
    expect(response.status).toBe(403);
    expect(response.body).toMatchObject({ error: 'insufficient_scope' });
    expect(response.headers['www-authenticate']).toMatch(/scope="orders:read"/);
  });

  it.each([
    ['expiredToken', 'token_expired'],
    ['wrongAudienceToken', 'audience_mismatch'],
    ['wrongIssuerToken', 'issuer_mismatch'],
    ['notYetValidToken', 'token_not_yet_valid'],
  ] as const)('%s() gets 401 %s', async (helper, code) => {
    const response = await request(app).get('/orders').set(bearer(await issuer[helper]()));
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ error: code });
  });
});
