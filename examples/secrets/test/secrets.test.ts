import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { jwtGuard } from '@jwt-guard/express';
import { generateTestKeys, mintToken } from '@jwt-guard/testing';
import { guardOptionsFromEnv } from '../src/env-secrets.js';
import { FakeSecretManager, guardOptionsFromSecretManager } from '../src/secret-manager.js';

const claims = { iss: 'https://auth.internal/', aud: 'orders-service', sub: 'svc-billing' };

function app(options: Parameters<typeof jwtGuard>[0]) {
  const server = express();
  server.use(jwtGuard(options));
  server.get('/me', (req, res) => {
    res.json({ sub: req.auth?.payload.sub });
  });
  return server;
}

describe('secrets from the environment', () => {
  it('accepts tokens under the current and the previous secret during a rotation', async () => {
    const current = await generateTestKeys('HS256', { kid: '2026-11' });
    const previous = await generateTestKeys('HS256', { kid: '2026-10' });
    // Environment variables hold text: the secrets are the base64url form of random bytes.
    const env = {
      JWT_SECRET: Buffer.from(current.secret!).toString('base64url'),
      JWT_SECRET_KID: '2026-11',
      JWT_PREVIOUS_SECRET: Buffer.from(previous.secret!).toString('base64url'),
      JWT_PREVIOUS_SECRET_KID: '2026-10',
    };
    const server = app(guardOptionsFromEnv(env));
    for (const [keys, value] of [[current, env.JWT_SECRET], [previous, env.JWT_PREVIOUS_SECRET]] as const) {
      const token = await mintToken({ ...keys, secret: new TextEncoder().encode(value) }, claims);
      await request(server).get('/me').set('authorization', `Bearer ${token}`).expect(200, { sub: 'svc-billing' });
    }
    // A token under a kid that is not configured is refused.
    const stranger = await mintToken({ ...current, kid: '2026-09', secret: new TextEncoder().encode(env.JWT_SECRET) }, claims);
    await request(server).get('/me').set('authorization', `Bearer ${stranger}`).expect(401);
  });

  it('stops start-up when the secret is missing or weak, naming the variable', () => {
    expect(() => guardOptionsFromEnv({})).toThrow(/JWT_SECRET is not set/);
    expect(() => guardOptionsFromEnv({ JWT_SECRET: 'secret' })).toThrow(/JWT_SECRET: the secret is 6 bytes; HS256 needs at least 32/);
  });
});

describe('secrets from a secret manager', () => {
  it('asks the manager once per kid, however many requests', async () => {
    const keys = await generateTestKeys('HS256', { kid: 'signing-1' });
    const secret = 'kP3vX8qL2mZ7wR4tN9yB6cH1jF5dG0sAeUiOoQ';
    const manager = new FakeSecretManager(new Map([['jwt/signing-1', secret]]));
    const server = app(guardOptionsFromSecretManager(manager));
    const token = await mintToken({ ...keys, secret: new TextEncoder().encode(secret) }, claims);
    await Promise.all(Array.from({ length: 10 }, () => request(server).get('/me').set('authorization', `Bearer ${token}`).expect(200)));
    await request(server).get('/me').set('authorization', `Bearer ${token}`).expect(200);
    expect(manager.calls).toBe(1);
    const unknown = await mintToken({ ...keys, kid: 'signing-9', secret: new TextEncoder().encode(secret) }, claims);
    const refused = await request(server).get('/me').set('authorization', `Bearer ${unknown}`).expect(401);
    expect(JSON.parse(refused.text)).toMatchObject({ error: 'key_not_found' });
  });
});
