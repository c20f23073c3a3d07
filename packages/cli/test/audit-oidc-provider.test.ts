/**
 * `jwt-guard audit` against a real OpenID provider (`oidc-provider`) on 127.0.0.1, in its typical
 * set-up: its own development signing keys, RFC 9068 JWT access tokens from the client-credentials
 * grant. The provider's own defaults decide the findings; the test says which and why.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureBuilt } from './helpers.js';
import { auditJson, withId } from './audit-helpers.js';

vi.setConfig({ testTimeout: 30_000 });

const API = 'https://orders.api.test';
const CLIENT = { id: 'audit-svc', secret: randomBytes(32).toString('base64url') };

let server: Server;
let issuer: string;

async function startProvider(): Promise<void> {
  const app: { handle?: ReturnType<Provider['callback']> } = {};
  server = createServer((req, res) => void app.handle?.(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    // No `jwks`: the provider signs with its built-in development keys, as a first set-up does.
    clients: [{ client_id: CLIENT.id, client_secret: CLIENT.secret, grant_types: ['client_credentials'], response_types: [], redirect_uris: [] }],
    scopes: ['orders:read'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => API,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({ scope: 'orders:read', audience: API, accessTokenFormat: 'jwt' }),
      },
    },
  });
  app.handle = provider.callback();
}

/** A real token request: client_credentials for the orders API, client_secret_basic. */
async function accessToken(): Promise<string> {
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource: API, scope: 'orders:read' }).toString(),
  });
  const body = (await response.json()) as { access_token?: string };
  if (typeof body.access_token !== 'string') throw new Error(`token endpoint answered ${response.status}: ${JSON.stringify(body)}`);
  return body.access_token;
}

beforeAll(async () => {
  ensureBuilt();
  await startProvider();
});
afterAll(
  () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
);

describe('audit of an oidc-provider set-up', () => {
  it('its defaults: RSA 2048 development key and no Cache-Control on the JWKS (both low); issuer and tokens clean; exit 0', async () => {
    const tokens = [await accessToken(), await accessToken()];
    const { report, code, stdout } = await auditJson(['--issuer', issuer, '--discovery', '--audience', API, '--typ', 'at+jwt', '--revocation'], { stdin: `${tokens.join('\n')}\n` });
    expect(report.summary.checked).toMatchObject({ discovery: `${issuer}/.well-known/openid-configuration`, jwks: `${issuer}/jwks`, tokens: 2 });
    // Its issuer is exactly the one configured, and its tokens are RFC 9068 access tokens (typ at+jwt, a jti,
    // 10 min): nothing there. What its defaults do trigger: the development key is RSA 2048 (below the 3072-bit
    // policy), and the JWKS is served without Cache-Control. Both low: the audit passes at the default --fail-on.
    expect(report.findings.map((item) => [item.id, item.severity, item.subject])).toEqual([
      ['jwks.cache_control_missing', 'low', `${issuer}/jwks`],
      ['jwks.rsa_below_3072', 'low', `the JWKS at ${issuer}/jwks key "keystore-CHANGE-ME"`],
    ]);
    expect(code).toBe(0);
    for (const token of tokens) expect(stdout).not.toContain(token.split('.')[2]);
  });

  it('the same set-up with the issuer written with a trailing slash: discovery.issuer_mismatch (high), exit 1', async () => {
    const { report, code } = await auditJson(['--issuer', `${issuer}/`, '--discovery', '--typ', 'at+jwt']);
    expect(withId(report, 'discovery.issuer_mismatch')).toMatchObject([{ severity: 'high', message: expect.stringContaining(`set issuer to exactly "${issuer}"`) }]);
    expect(code).toBe(1);
  });

  it('an API configured with HS256 next to this issuer: algorithms.hmac_with_asymmetric (high)', async () => {
    const { report } = await auditJson(['--issuer', issuer, '--discovery', '--typ', 'at+jwt', '--alg', 'RS256', '--alg', 'HS256']);
    expect(withId(report, 'algorithms.hmac_with_asymmetric')).toMatchObject([{ severity: 'high' }]);
    expect(withId(report, 'algorithms.mixed_families')).toMatchObject([{ severity: 'low' }]);
  });
});
