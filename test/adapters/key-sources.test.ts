import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as expressGuard from '@jwt-guard/express';
import * as koaGuard from '@jwt-guard/koa';
import * as fastifyGuard from '@jwt-guard/fastify';
import type { GuardOptions, KeyEvent } from '@jwt-guard/core';
import { createTestIssuer, serveJwks, type JwksServer, type TestIssuer } from '@jwt-guard/testing';
import request from 'supertest';
import { ADAPTERS, startApp, type AdapterName } from './apps.js';

let issuer: TestIssuer;
let tenant: TestIssuer;
beforeAll(async () => {
  [issuer, tenant] = await Promise.all([createTestIssuer({ algorithm: 'RS256' }), createTestIssuer({ algorithm: 'HS256', issuer: 'https://tenant-b.test/' })]);
});
afterAll(async () => {
  await Promise.all([issuer.close(), tenant.close()]);
});

/** The guard's readiness, the way each framework exposes it. */
async function readiness(adapter: AdapterName, options: GuardOptions): Promise<{ ready: () => Promise<void>; close: () => Promise<void> }> {
  switch (adapter) {
    case 'express':
      return { ready: expressGuard.jwtGuard(options).ready, close: async () => undefined };
    case 'koa':
      return { ready: koaGuard.jwtGuard(options).ready, close: async () => undefined };
    case 'fastify': {
      const app = Fastify();
      await app.register(fastifyGuard.jwtGuard, options);
      await app.ready();
      return { ready: () => app.jwtGuard.ready(), close: () => app.close() };
    }
    case 'nest-express':
    case 'nest-fastify': {
      const [{ startNestApp }, { JwtGuardService }] = await Promise.all([import('../nestjs/app.js'), import('@jwt-guard/nestjs')]);
      const nest = await startNestApp(adapter === 'nest-express' ? 'express' : 'fastify', { guard: options });
      const service = nest.app.get(JwtGuardService);
      return { ready: () => service.ready(), close: () => nest.close() };
    }
  }
}

describe.each(ADAPTERS)('%s: remote keys through the adapter', (adapter) => {
  let server: JwksServer;
  beforeAll(async () => {
    server = await serveJwks(issuer.jwks.keys);
  });
  afterAll(() => server.close());

  it('warmUp fetches the keys at start-up, and ready() says when they are usable', async () => {
    const events: KeyEvent[] = [];
    const before = server.requestCount();
    const guard = await readiness(adapter, { ...issuer.verifierOptions(), jwks: undefined, jwksUri: server.url, warmUp: true, onKeyEvent: (event) => events.push(event) });
    try {
      await guard.ready();
      expect(server.requestCount()).toBe(before + 1);
      expect(events.map((event) => event.type)).toEqual(['keys_fetched']);
    } finally {
      await guard.close();
    }
  });

  it('ready() rejects with key_source_unavailable while the key server is down', async () => {
    server.fail(503);
    const guard = await readiness(adapter, { ...issuer.verifierOptions(), jwks: undefined, jwksUri: server.url });
    try {
      await expect(guard.ready()).rejects.toMatchObject({ code: 'key_source_unavailable', status: 503 });
    } finally {
      server.fail(undefined);
      await guard.close();
    }
  });

  it('several issuers: each token is verified with its own issuer keys, an unknown issuer with none', async () => {
    const fetchesBefore = server.requestCount();
    const app = await startApp(adapter, {
      audience: issuer.audience,
      issuers: [
        { issuer: issuer.issuer, jwksUri: server.url, algorithms: ['RS256'] },
        { issuer: tenant.issuer, secret: tenant.keys.secret!, audience: tenant.audience },
      ],
    });
    try {
      const me = (token: string) => request(app.server).get('/me').set('authorization', `Bearer ${token}`);
      expect((await me(await issuer.sign())).status).toBe(200);
      expect((await me(await tenant.sign())).status).toBe(200);
      const fetches = server.requestCount();
      expect(fetches).toBe(fetchesBefore + 1);
      const stranger = await me(await issuer.sign({ iss: 'https://evil.example/' }));
      expect(stranger.status).toBe(401);
      expect(JSON.parse(stranger.text)).toMatchObject({ error: 'issuer_mismatch' });
      expect(server.requestCount()).toBe(fetches);
    } finally {
      await app.close();
    }
  });
});
