/**
 * The detectors through every adapter, with real requests: the client address is what the
 * framework makes of `X-Forwarded-For` behind a trusted proxy (the tests' loopback client plays
 * the proxy), and nothing a client sends when no proxy is trusted.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryRevocationStore, type DetectionEvent, type RejectedEvent } from '@jwt-guard/core';
import { createTestIssuer, type TestIssuer } from '@jwt-guard/testing';
import { ADAPTERS, startApp, type TestApp } from './apps.js';

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer({ algorithm: 'ES256' });
});
afterAll(async () => {
  await issuer.close();
});

const get = (app: TestApp, token: string, forwardedFor?: string) => {
  const call = request(app.server).get('/me').set('authorization', `Bearer ${token}`);
  return forwardedFor === undefined ? call : call.set('x-forwarded-for', forwardedFor);
};
const forged = async () => `${(await issuer.sign()).slice(0, -6)}AAAAAA`;

describe.each(ADAPTERS)('%s: detectors', (adapter) => {
  const events: DetectionEvent[] = [];
  const rejected: RejectedEvent[] = [];
  const store = memoryRevocationStore();
  let app: TestApp;
  let untrusting: TestApp;

  beforeAll(async () => {
    const options = {
      ...issuer.verifierOptions(),
      revocation: { store },
      detect: {
        tokenShared: { maxAddresses: 3, respond: 'revoke-token' as const },
        forgeryProbe: { threshold: 5, respond: 'block-client' as const, blockFor: '10m' },
      },
      onDetection: (event: DetectionEvent) => events.push(event),
      onRejected: (event: RejectedEvent) => rejected.push(event),
    };
    app = await startApp(adapter, options, { trustProxy: true });
    untrusting = await startApp(adapter, { ...options, revocation: { store: memoryRevocationStore() } });
  });
  afterAll(async () => {
    await app.close();
    await untrusting.close();
  });

  it('a token replayed from more than 3 client addresses is revoked automatically, and refused from every address after', async () => {
    const token = await issuer.sign({ jti: `stolen-${adapter}` });
    for (const address of ['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.1']) await get(app, token, address).expect(200);
    const tripped = await get(app, token, '203.0.113.9').expect(401);
    expect(tripped.body).toMatchObject({ error: 'token_revoked' });
    expect(tripped.headers['www-authenticate']).toContain('error="invalid_token"');
    await get(app, token, '198.51.100.1').expect(401);
    expect(store.check({ jti: `stolen-${adapter}` })).toBe('revoked');
    const event = events.find((e) => e.type === 'token_shared' && e.jti === `stolen-${adapter}`);
    expect(event).toMatchObject({ type: 'token_shared', clientAddress: '203.0.113.9', distinctAddresses: 4, action: 'revoke_token', actionFailed: false });
    expect(JSON.stringify(events)).not.toContain(token);
    // The addresses themselves are not blocked: another token from them is fine.
    await get(app, await issuer.sign(), '203.0.113.9').expect(200);
  });

  it('a burst of forged tokens from one address trips forgery_probe: that address gets 429 with Retry-After, others do not', async () => {
    const prober = `192.0.2.${ADAPTERS.indexOf(adapter) + 10}`;
    for (let index = 0; index < 5; index++) {
      const refused = await get(app, await forged(), prober).expect(401);
      expect(refused.body).toMatchObject({ error: 'signature_invalid' });
    }
    const blocked = await get(app, await issuer.sign(), prober).expect(429);
    expect(blocked.body).toMatchObject({ error: 'client_blocked' });
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(590);
    expect(blocked.headers['www-authenticate']).toBeUndefined();
    expect(rejected.at(-1)).toMatchObject({ code: 'client_blocked', status: 429 });
    expect(rejected.at(-1)?.hint).toMatch(/^the client's address is refused for a while by a detector \(forgery_probe tripped for this address; (599|600) s left\)/);
    expect(events.find((e) => e.type === 'forgery_probe' && e.clientAddress === prober)).toMatchObject({
      signals: 5,
      reasons: { signature_invalid: 5 },
      action: 'block_client',
    });
    await get(app, await issuer.sign(), '192.0.2.200').expect(200);
  });

  it('without a trusted proxy, X-Forwarded-For is ignored: a client cannot pose as many addresses (or as another one)', async () => {
    const token = await issuer.sign({ jti: `forwarded-${adapter}` });
    const before = events.length;
    for (const address of ['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4', '198.51.100.5']) await get(untrusting, token, address).expect(200);
    expect(events.slice(before)).toEqual([]);
  });
});
