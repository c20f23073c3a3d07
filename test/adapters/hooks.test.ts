import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RejectedEvent, VerifiedEvent } from '@jwt-guard/core';
import { createTestIssuer, type TestIssuer } from '@jwt-guard/testing';
import { ADAPTERS, startApp, type TestApp } from './apps.js';

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer({ algorithm: 'ES256' });
});
afterAll(async () => {
  await issuer.close();
});

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe.each(ADAPTERS)('%s: onVerified / onRejected hooks', (adapter) => {
  let app: TestApp;
  const verified: VerifiedEvent[] = [];
  const rejected: RejectedEvent[] = [];

  beforeAll(async () => {
    app = await startApp(adapter, {
      ...issuer.verifierOptions(),
      onVerified: (event) => verified.push(event),
      onRejected: (event) => rejected.push(event),
    });
  });
  afterAll(() => app.close());

  const lastRejection = () => rejected.at(-1)!;
  /** The event as a log line would carry it: everything but the error object. */
  const logged = (event: object) => JSON.stringify({ ...event, error: undefined });

  it('reports a verified token with its claims, never the token', async () => {
    const token = await issuer.tokenWithScopes('orders:read');
    await request(app.server).get('/orders').set('authorization', `Bearer ${token}`).expect(200);
    const event = verified.at(-1)!;
    expect(event.payload.sub).toBe('user-1');
    expect([...event.scopes]).toEqual(['orders:read']);
    expect(event.durationMs).toBeGreaterThanOrEqual(0);
    expect(logged(event)).not.toContain(token);
  });

  it('reports each refusal with its reason code, never the token', async () => {
    const token = await issuer.expiredToken();
    await request(app.server).get('/me').set('authorization', `Bearer ${token}`).expect(401);
    expect(lastRejection().code).toBe('token_expired');
    expect(lastRejection().status).toBe(401);
    expect(lastRejection().passedAsAnonymous).toBe(false);
    expect(logged(lastRejection())).not.toContain(token);
    expect(lastRejection().error.message).not.toContain(token);
  });

  it('reports a scope refusal too (for metrics by reason)', async () => {
    await request(app.server).get('/orders').set('authorization', `Bearer ${await issuer.sign()}`).expect(403);
    expect(lastRejection().code).toBe('insufficient_scope');
  });

  it('gives the developer a hint for a JWE, and keeps it out of the response', async () => {
    const response = await request(app.server).get('/me').set('authorization', 'Bearer eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d').expect(401);
    expect(lastRejection().hint).toMatch(/JWE/);
    expect(response.text).not.toMatch(/JWE/);
    expect(response.headers['www-authenticate']).not.toMatch(/JWE/);
  });

  it('gives a hint for an opaque token', async () => {
    await request(app.server).get('/me').set('authorization', 'Bearer 2YotnFZFEjr1zCsicMWpAA').expect(401);
    expect(lastRejection().hint).toMatch(/opaque/);
  });

  it('gives a hint for an ID token sent as an access token', async () => {
    const idToken = await issuer.sign({ nonce: 'n-0S6_WzA2Mj', aud: 'client-id-123' });
    await request(app.server).get('/me').set('authorization', `Bearer ${idToken}`).expect(401);
    expect(lastRejection().code).toBe('audience_mismatch');
    expect(lastRejection().hint).toMatch(/ID token/);
  });

  it('a hook that throws does not break the request', async () => {
    const throwing = await startApp(adapter, {
      ...issuer.verifierOptions(),
      onVerified: () => {
        throw new Error('logger down');
      },
      onRejected: () => {
        throw new Error('logger down');
      },
    });
    try {
      await request(throwing.server).get('/me').set('authorization', `Bearer ${await issuer.sign()}`).expect(200);
      await request(throwing.server).get('/me').set('authorization', `Bearer ${b64({ alg: 'none' })}.${b64({})}.`).expect(401);
    } finally {
      await throwing.close();
    }
  });
});
