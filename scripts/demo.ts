/**
 * `pnpm demo`: the guard at work, end to end, with no network beyond 127.0.0.1.
 *
 * Starts the three example orders APIs (Express, Koa, Fastify), each trusting its own test issuer
 * made at start-up (RS256 keys from a JWKS URL, ES256 keys from a JWK Set, an HS256 secret), mints
 * tokens, sends the same requests to each and prints what came back. Exits non-zero if any answer
 * is not the expected one, so the demo doubles as a smoke test of the built packages.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createVerifier } from '@jwt-guard/core';
import { createTestIssuer, type TestIssuer } from '@jwt-guard/testing';
import { createApp as createExpressApp } from '../examples/express/src/app.js';
import { createApp as createKoaApp } from '../examples/koa/src/app.js';
import { createApp as createFastifyApp } from '../examples/fastify/src/app.js';

interface Scenario {
  label: string;
  method: 'GET' | 'POST';
  path: string;
  token: (issuer: TestIssuer) => Promise<string | undefined> | string | undefined;
  tokenLabel: string;
  authorization?: string;
  expectStatus: number;
  expectCode?: string;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

const SCENARIOS: Scenario[] = [
  { label: 'public route', method: 'GET', path: '/health', token: () => undefined, tokenLabel: 'none', expectStatus: 200 },
  { label: 'protected, no token', method: 'GET', path: '/me', token: () => undefined, tokenLabel: 'none', expectStatus: 401, expectCode: 'token_missing' },
  { label: 'any valid token', method: 'GET', path: '/me', token: (i) => i.sign(), tokenLabel: 'valid', expectStatus: 200 },
  { label: 'read orders', method: 'GET', path: '/orders', token: (i) => i.tokenWithScopes('orders:read'), tokenLabel: 'scope orders:read', expectStatus: 200 },
  { label: 'read orders, no scope', method: 'GET', path: '/orders', token: (i) => i.sign(), tokenLabel: 'valid, no scope', expectStatus: 403, expectCode: 'insufficient_scope' },
  { label: 'write with read scope', method: 'POST', path: '/orders', token: (i) => i.tokenWithScopes('orders:read'), tokenLabel: 'scope orders:read', expectStatus: 403, expectCode: 'insufficient_scope' },
  { label: 'create an order', method: 'POST', path: '/orders', token: (i) => i.tokenWithScopes('orders:write'), tokenLabel: 'scope orders:write', expectStatus: 201 },
  { label: 'expired token', method: 'GET', path: '/me', token: (i) => i.expiredToken(), tokenLabel: 'expired', expectStatus: 401, expectCode: 'token_expired' },
  { label: 'token for another API', method: 'GET', path: '/me', token: (i) => i.wrongAudienceToken(), tokenLabel: 'wrong aud', expectStatus: 401, expectCode: 'audience_mismatch' },
  { label: 'forged "alg: none"', method: 'GET', path: '/me', token: (i) => `${b64({ alg: 'none' })}.${b64({ iss: i.issuer, aud: i.audience, sub: 'admin', exp: 4102444800 })}.`, tokenLabel: 'alg none', expectStatus: 401, expectCode: 'algorithm_not_allowed' },
  {
    label: 'tampered claims', method: 'GET', path: '/me', tokenLabel: 'sub changed', expectStatus: 401, expectCode: 'signature_invalid',
    token: async (i) => {
      const [header, , signature] = (await i.sign()).split('.');
      return `${header}.${b64({ iss: i.issuer, aud: i.audience, sub: 'admin', exp: 4102444800 })}.${signature}`;
    },
  },
  { label: 'malformed header', method: 'GET', path: '/me', token: () => undefined, authorization: 'Bearer', tokenLabel: '"Bearer" only', expectStatus: 400, expectCode: 'invalid_request' },
];

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function main(): Promise<number> {
  const rs256 = await createTestIssuer({ algorithm: 'RS256' });
  const es256 = await createTestIssuer({ algorithm: 'ES256' });
  const hs256 = await createTestIssuer({ algorithm: 'HS256' });

  const express = createExpressApp(rs256.verifierOptions({ source: 'jwksUri' })).listen(0, '127.0.0.1');
  await new Promise((resolve) => express.once('listening', resolve));
  const koa = createKoaApp(es256.verifierOptions()).callback();
  const { createServer } = await import('node:http');
  const koaServer = createServer(koa);
  const fastify = await createFastifyApp(hs256.verifierOptions());

  const apps = [
    { name: 'express', keys: 'RS256 via jwksUri', issuer: rs256, url: `http://127.0.0.1:${(express.address() as AddressInfo).port}` },
    { name: 'koa', keys: 'ES256 via jwks', issuer: es256, url: await listen(koaServer) },
    { name: 'fastify', keys: 'HS256 secret', issuer: hs256, url: await fastify.listen({ port: 0, host: '127.0.0.1' }) },
  ];

  console.log('jwt-guard demo: three orders APIs, one guard\n');
  for (const app of apps) console.log(`  ${app.name.padEnd(8)} ${app.url}  keys: ${app.keys}`);
  console.log('');

  const rows: string[][] = [['framework', 'request', 'token', 'status', 'outcome']];
  let failures = 0;
  for (const scenario of SCENARIOS) {
    for (const app of apps) {
      const token = await scenario.token(app.issuer);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (scenario.authorization !== undefined) headers.authorization = scenario.authorization;
      else if (token !== undefined) headers.authorization = `Bearer ${token}`;
      const response = await fetch(`${app.url}${scenario.path}`, {
        method: scenario.method,
        headers,
        ...(scenario.method === 'POST' ? { body: JSON.stringify({ item: 'green tea' }) } : {}),
      });
      const body = (await response.json()) as { error?: string };
      const outcome = response.ok ? 'ok' : String(body.error);
      const expected = response.status === scenario.expectStatus && (scenario.expectCode === undefined || body.error === scenario.expectCode);
      if (!expected) failures += 1;
      rows.push([
        app.name,
        `${scenario.method} ${scenario.path}  (${scenario.label})`,
        scenario.tokenLabel,
        String(response.status),
        expected ? outcome : `${outcome}  << expected ${scenario.expectStatus} ${scenario.expectCode ?? ''}`,
      ]);
    }
  }
  printTable(rows);

  const challenge = await fetch(`${apps[0]!.url}/orders`, { headers: { authorization: `Bearer ${await rs256.sign()}` } });
  console.log(`\nA 403 names the scope it needs (RFC 6750 §3):\n  WWW-Authenticate: ${challenge.headers.get('www-authenticate')}`);

  console.log('\nMisconfigurations fail at start-up, with what to change:');
  const attempts: [string, () => unknown][] = [
    ['weak secret', () => createVerifier({ secret: 'changeme', issuer: 'https://issuer', audience: 'api' })],
    ['no key source', () => createVerifier({ issuer: 'https://issuer', audience: 'api' })],
    ['two key sources', () => createVerifier({ secret: hs256.keys.secret, jwksUri: 'https://issuer/jwks', issuer: 'x', audience: 'y' })],
  ];
  for (const [label, attempt] of attempts) {
    try {
      attempt();
      console.log(`  ${label}: accepted (unexpected)`);
      failures += 1;
    } catch (error) {
      console.log(`  ${label}: ${(error as Error).message}`);
    }
  }

  express.closeAllConnections();
  await new Promise((resolve) => express.close(resolve));
  koaServer.closeAllConnections();
  await new Promise((resolve) => koaServer.close(resolve));
  await fastify.close();
  await Promise.all([rs256.close(), es256.close(), hs256.close()]);

  const total = SCENARIOS.length * apps.length;
  console.log(`\n${total - failures}/${total} answers as expected${failures === 0 ? '' : ` — ${failures} unexpected`}.`);
  return failures === 0 ? 0 : 1;
}

function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  rows.forEach((row, index) => {
    console.log(row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd());
    if (index === 0) console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
