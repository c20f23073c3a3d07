import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestIssuer, type TestIssuer } from '@jwt-guard/testing';
import { createApp, type Platform } from '../src/app.js';

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer({ algorithm: 'RS256' });
});
afterAll(() => issuer.close());

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** The environment an operator would set: the test issuer's JWKS URL, issuer and audience. */
function issuerEnv(): Record<string, string> {
  const { jwksUri, issuer: iss, audience } = issuer.verifierOptions({ source: 'jwksUri' });
  expect(jwksUri).toBeDefined();
  return { JWKS_URI: String(jwksUri), JWT_ISSUER: iss, JWT_AUDIENCE: audience };
}

async function serve(platform: Platform): Promise<{ app: INestApplication; base: string }> {
  const app = await createApp(issuerEnv(), platform);
  await app.listen(0, '127.0.0.1');
  return { app, base: await app.getUrl() };
}

describe.each(['express', 'fastify'] as const)('the orders API on @nestjs/platform-%s', (platform) => {
  let app: INestApplication;
  let base: string;
  beforeAll(async () => {
    ({ app, base } = await serve(platform));
  });
  afterAll(() => app.close());

  it('answers /health without a token, and ignores a bad one there', async () => {
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await fetch(`${base}/health`, { headers: bearer('not-a-token') })).status).toBe(200);
  });

  it('refuses /orders without a token (401, RFC 6750 challenge) and without orders:read (403)', async () => {
    const missing = await fetch(`${base}/orders`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const unscoped = await fetch(`${base}/orders`, { headers: bearer(await issuer.sign()) });
    expect(unscoped.status).toBe(403);
    expect(await unscoped.json()).toMatchObject({ error: 'insufficient_scope' });
  });

  it('serves orders to orders:read and creates one for orders:write, owned by the token subject', async () => {
    const list = await fetch(`${base}/orders`, { headers: bearer(await issuer.tokenWithScopes('orders:read')) });
    expect(list.status).toBe(200);
    expect(await list.json()).toEqual([{ id: 1, item: 'coffee beans', owner: 'user-1' }]);
    const readOnly = await fetch(`${base}/orders`, { method: 'POST', headers: { ...bearer(await issuer.tokenWithScopes('orders:read')), 'content-type': 'application/json' }, body: '{"item":"tea"}' });
    expect(readOnly.status).toBe(403);
    const created = await fetch(`${base}/orders`, { method: 'POST', headers: { ...bearer(await issuer.tokenWithScopes('orders:write')), 'content-type': 'application/json' }, body: '{"item":"tea"}' });
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual({ id: 2, item: 'tea', owner: 'user-1' });
  });

  it('hands the verified token to the handler (@Auth)', async () => {
    const me = await fetch(`${base}/me`, { headers: bearer(await issuer.tokenWithScopes('orders:read', 'orders:write')) });
    expect(me.status).toBe(200);
    expect(await me.json()).toEqual({ sub: 'user-1', scopes: ['orders:read', 'orders:write'] });
  });
});

it('refuses to boot without JWT_ISSUER, with the core\'s message, not at the first request', async () => {
  const { JWT_ISSUER: _omitted, ...env } = issuerEnv();
  await expect(createApp(env)).rejects.toThrow(/issuer/);
});

describe('pnpm start (src/server.ts), configured from the environment', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill('SIGTERM');
  });

  it('boots from JWKS_URI / JWT_ISSUER / JWT_AUDIENCE and guards /orders', async () => {
    const port = 30_000 + Math.floor(Math.random() * 20_000);
    const tsx = fileURLToPath(import.meta.resolve('tsx/cli'));
    child = spawn(process.execPath, [tsx, 'src/server.ts'], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { ...process.env, ...issuerEnv(), PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start: ${output}`)), 15_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('orders API (NestJS on express)')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child!.stdout!.on('data', onData);
      child!.stderr!.on('data', onData);
      child!.once('exit', (code) => reject(new Error(`server exited (${code}): ${output}`)));
    });
    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await fetch(`${base}/orders`)).status).toBe(401);
    expect((await fetch(`${base}/orders`, { headers: bearer(await issuer.sign()) })).status).toBe(403);
    expect((await fetch(`${base}/orders`, { headers: bearer(await issuer.tokenWithScopes('orders:read')) })).status).toBe(200);
  }, 30_000);
});
