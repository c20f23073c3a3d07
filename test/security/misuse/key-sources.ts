/** Misuse rows for key sources: secrets, getKey, remote JWKS, key URLs (rules 3, 5, 6, 13, 14; rule 1 for onKeyEvent). */
import { createHmac, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GuardOptions, JWK, KeyEvent, RejectedEvent } from '@jwt-guard/core';
import { serveJwks, type JwksServer, type TestIssuer } from '@jwt-guard/testing';
import { expect } from 'vitest';
import type { AdapterName } from '../../adapters/apps.js';
import type { MisuseCase, MisuseFixtures } from './types.js';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const inFiveMinutes = () => Math.floor(Date.now() / 1000) + 300;

/** An HS256 token HMAC'd with `key` (public-key material): the key-confusion forgery. */
function hmacForgery(issuer: TestIssuer, key: string | Uint8Array): string {
  const signingInput = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ iss: issuer.issuer, aud: issuer.audience, sub: 'attacker', exp: inFiveMinutes() })}`;
  return `${signingInput}.${createHmac('sha256', key).update(signingInput).digest('base64url')}`;
}

/** The issuer and audience of an issuer, without its key source. */
const claimsOf = (issuer: TestIssuer) => ({ issuer: issuer.issuer, audience: issuer.audience });

/** What the hooks of one row saw, per adapter (options() runs once per adapter, after() once per adapter). */
function hookLog() {
  const rejected = new Map<AdapterName, RejectedEvent[]>();
  const keyEvents = new Map<AdapterName, KeyEvent[]>();
  const list = <T>(map: Map<AdapterName, T[]>, adapter: AdapterName) => {
    if (!map.has(adapter)) map.set(adapter, []);
    return map.get(adapter)!;
  };
  return {
    hooks: (adapter: AdapterName): Pick<GuardOptions, 'onRejected' | 'onKeyEvent'> => ({
      onRejected: (event) => void list(rejected, adapter).push(event),
      onKeyEvent: (event) => void list(keyEvents, adapter).push(event),
    }),
    rejected: (adapter: AdapterName) => list(rejected, adapter),
    keyEvents: (adapter: AdapterName) => list(keyEvents, adapter),
  };
}

/** Something a row starts once (a server), on first use, closed when the suite ends; `current()` once started. */
function oncePerRow<T extends { close(): unknown }>(start: (fx: MisuseFixtures) => Promise<T>) {
  let started: Promise<T> | undefined;
  let value: T | undefined;
  return {
    get(fx: MisuseFixtures): Promise<T> {
      started ??= start(fx).then((ready) => {
        fx.defer(() => ready.close());
        value = ready;
        return ready;
      });
      return started;
    },
    current(): T {
      if (value === undefined) throw new Error('not started yet');
      return value;
    },
  };
}

/** An OpenID discovery document on 127.0.0.1 (its issuer is the server's origin) naming this jwks_uri. */
async function serveDiscovery(jwksUri: string): Promise<{ issuer: string; close(): Promise<void> }> {
  let issuer = '';
  const server: Server = createServer((req, res) => {
    const body = req.url === '/.well-known/openid-configuration' ? JSON.stringify({ issuer, jwks_uri: jwksUri }) : '{"error":"not_found"}';
    res.writeHead(req.url === '/.well-known/openid-configuration' ? 200 : 404, { 'content-type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** 0.0.0.0 is not loopback by name, but Linux connects it to this host: a plain-http, non-loopback key URL a test can reach. */
const offLoopback = (url: string) => url.replace('127.0.0.1', '0.0.0.0');

const certPem = readFileSync(new URL('../fixtures/attacker-cert.pem', import.meta.url), 'utf8');
const USE_PUBLIC_KEY = /not an HMAC secret: .*key confusion.*Pass the key as `publicKey`/;

// --- Rule 3: public-key material is never an HMAC secret -------------------------------------------

const publicKeyAsSecret = (name: string, material: (fx: MisuseFixtures) => string | Uint8Array, startup = USE_PUBLIC_KEY): MisuseCase => ({
  rule: 3,
  name: `secret: ${name} is refused at start-up, saying to use publicKey`,
  options: (fx) => ({ ...claimsOf(fx.issuers.RS256), secret: material(fx) }),
  startup,
});

const rsaPem = (fx: MisuseFixtures) => fx.issuers.RS256.keys.publicKeyPem!;

const getKeyHmac = hookLog();

const PUBLIC_KEY_AS_SECRET: MisuseCase[] = [
  publicKeyAsSecret('an RSA public key PEM (the express-jwt habit)', rsaPem, /`secret` is a PEM public key \(RSA\), not an HMAC secret/),
  publicKeyAsSecret('an RSA PKCS#1 PEM', (fx) => createPublicKey(rsaPem(fx)).export({ type: 'pkcs1', format: 'pem' }).toString()),
  publicKeyAsSecret('a certificate PEM', () => certPem, /`secret` is a PEM certificate/),
  publicKeyAsSecret('a PEM with leading whitespace', (fx) => `\n\t  ${rsaPem(fx)}`),
  publicKeyAsSecret('a PEM Buffer', (fx) => Buffer.from(rsaPem(fx))),
  publicKeyAsSecret('an EC P-256 PEM', (fx) => fx.issuers.ES256.keys.publicKeyPem!),
  publicKeyAsSecret('an Ed25519 PEM', (fx) => fx.issuers.EdDSA.keys.publicKeyPem!),
  publicKeyAsSecret('JWK JSON text', (fx) => JSON.stringify(fx.issuers.RS256.keys.jwk), /`secret` is the JSON text of a JWK/),
  publicKeyAsSecret('SPKI DER bytes', (fx) => new Uint8Array(createPublicKey(rsaPem(fx)).export({ type: 'spki', format: 'der' })), /`secret` is SPKI DER of a public key/),
  {
    rule: 3,
    name: 'secret: [{ kid, secret }] with a public key PEM among the secrets is refused at start-up',
    options: (fx) => ({ ...claimsOf(fx.issuers.RS256), secret: [{ kid: 'current', secret: fx.issuers.HS256.keys.secret! }, { kid: 'old', secret: rsaPem(fx) }] }),
    startup: /secret\[1\] is a PEM public key/,
  },
  {
    rule: 3,
    name: 'jwks: an oct key whose bytes are a public key PEM is refused at start-up',
    options: (fx) => ({ ...claimsOf(fx.issuers.RS256), jwks: { keys: [{ kty: 'oct', kid: 'h', alg: 'HS256', k: Buffer.from(rsaPem(fx)).toString('base64url') }] } }),
    startup: /`jwks`\.keys\[0\] is a PEM public key/,
  },
  {
    rule: 3,
    name: 'getKey returns the public key PEM for an HS256 token: 503 with a hint, the forgery never verifies',
    options: (fx, adapter) => ({ ...claimsOf(fx.issuers.RS256), getKey: () => rsaPem(fx), algorithms: ['HS256'], ...getKeyHmac.hooks(adapter) }),
    exchange: (fx) => [[{ path: '/me', headers: bearer(hmacForgery(fx.issuers.RS256, rsaPem(fx))) }, { status: 503, code: 'key_source_unavailable' }]],
    after: ({ adapter }) => {
      const [event] = getKeyHmac.rejected(adapter);
      expect(event?.hint, adapter).toMatch(/^getKey\(\) returned a key jwt-guard refuses: .*not an HMAC secret.*`publicKey`/);
      expect(event?.hint, adapter).not.toContain('MIIB');
    },
  },
];

// --- Rule 5: getKey can be neither wedged nor flooded -----------------------------------------------

const floodCalls = new Map<AdapterName, string[]>();
const FORGED_KIDS = 30;

const GETKEY_WEDGED_AND_FLOODED: MisuseCase[] = [
  {
    rule: 5,
    name: 'a getKey that never settles: 503 after getKeyTimeout, and the next request is not stuck behind it',
    options: (fx) => {
      let calls = 0;
      return {
        ...claimsOf(fx.issuers.RS256),
        algorithms: ['RS256'],
        getKeyTimeout: 0.3,
        // The secret manager hangs once (a dead connection), then answers.
        getKey: () => (++calls === 1 ? new Promise<never>(() => undefined) : fx.issuers.RS256.keys.publicKeyPem!),
      };
    },
    exchange: async (fx) => {
      const token = await fx.issuers.RS256.sign();
      return [
        [{ path: '/me', headers: bearer(token) }, { status: 503, code: 'key_source_unavailable' }],
        [{ path: '/me', headers: bearer(token) }, { status: 200 }],
      ];
    },
  },
  {
    rule: 5,
    name: `${FORGED_KIDS} forged tokens with random kids make at most 10 getKey calls; the known kid still verifies`,
    options: (fx, adapter) => {
      const calls: string[] = [];
      floodCalls.set(adapter, calls);
      const rs = fx.issuers.RS256;
      return {
        ...claimsOf(rs),
        algorithms: ['RS256'],
        getKey: (header) => {
          calls.push(String(header.kid));
          return header.kid === rs.keys.kid ? rs.keys.publicKeyPem! : undefined;
        },
      };
    },
    exchange: async (fx) => {
      const rs = fx.issuers.RS256;
      const forged = await Promise.all(
        Array.from({ length: FORGED_KIDS }, (_, i) => fx.stranger.sign({ iss: rs.issuer, aud: rs.audience }, { header: { kid: `forged-${i}-${Math.random()}` } })),
      );
      const valid = await rs.sign();
      return [
        [{ path: '/me', headers: bearer(valid) }, { status: 200 }],
        ...forged.map((token): [{ path: string; headers: Record<string, string> }, { status: number; code: 'key_not_found' }] => [
          { path: '/me', headers: bearer(token) },
          { status: 401, code: 'key_not_found' },
        ]),
        [{ path: '/me', headers: bearer(valid) }, { status: 200 }],
      ];
    },
    after: ({ adapter }) => {
      const calls = floodCalls.get(adapter)!;
      // 10 lookups of never-seen triples per getKeyCooldown: the valid kid's first one, and 9 forged ones.
      expect(calls.filter((kid) => kid.startsWith('forged-')).length, `${adapter}: getKey calls for forged kids`).toBe(9);
      expect(calls.length, `${adapter}: getKey calls in all`).toBe(10);
    },
  },
];

// --- Rule 6: outages and rotations of a remote JWKS hold no request up --------------------------------

/** A JWKS server per adapter (each adapter's guard fetches on its own), closed when the suite ends. */
const jwksPerAdapter = new Map<AdapterName, JwksServer>();
async function ownJwks(fx: MisuseFixtures, adapter: AdapterName, keys: JWK[]): Promise<JwksServer> {
  const server = await serveJwks(keys);
  fx.defer(() => server.close());
  jwksPerAdapter.set(adapter, server);
  return server;
}

/** Calls `then` once, on the first `keys_fetched`: what the key provider does right after our first fetch. */
function afterFirstFetch(then: () => void, log?: (event: KeyEvent) => void): (event: KeyEvent) => void {
  let fetched = false;
  return (event) => {
    log?.(event);
    if (event.type !== 'keys_fetched' || fetched) return;
    fetched = true;
    then();
  };
}

const outageLog = hookLog();

const REMOTE_KEYS_OUTAGES_AND_ROTATIONS: MisuseCase[] = [
  {
    rule: 6,
    name: 'keys past their lifetime and the JWKS endpoint black-holing: every request, cached or not, is answered at once with the stale keys',
    options: async (fx, adapter) => {
      const rs = fx.issuers.RS256;
      const server = await ownJwks(fx, adapter, [rs.keys.jwk]);
      return {
        ...rs.verifierOptions({ source: 'jwksUri' }),
        jwksUri: server.url,
        // Keys live 1 ms: every request after the first finds them past their lifetime, within the hour of grace.
        jwksCacheMaxAge: 0.001,
        // Longer than the runner lets a request take: a request that waits on the black-holed refresh hangs.
        jwksTimeout: 10,
        // Right after our first fetch the endpoint starts to accept requests and never answer them.
        onKeyEvent: afterFirstFetch(() => server.fail('hang'), outageLog.hooks(adapter).onKeyEvent),
      };
    },
    exchange: async (fx) => {
      const [first, second] = await Promise.all([fx.issuers.RS256.sign(), fx.issuers.RS256.sign()]);
      return [
        [{ path: '/me', headers: bearer(first) }, { status: 200 }],
        [{ path: '/me', headers: bearer(first) }, { status: 200 }],
        [{ path: '/me', headers: bearer(first) }, { status: 200 }], // a token-cache hit
        [{ path: '/me', headers: bearer(second) }, { status: 200 }],
      ];
    },
    after: ({ adapter }) => {
      // One background refresh, shared by every request after the first, still hanging.
      expect(jwksPerAdapter.get(adapter)!.requestCount(), `${adapter}: JWKS requests`).toBe(2);
      expect(outageLog.keyEvents(adapter).filter((event) => event.type === 'stale_keys_served').length, adapter).toBeGreaterThanOrEqual(2);
    },
  },
  {
    rule: 6,
    name: 'the provider rotates right after our first fetch: the new kid verifies at once; the cooldown counts only unknown-kid refetches',
    options: async (fx, adapter) => {
      const rs = fx.issuers.RS256;
      const server = await ownJwks(fx, adapter, [rs.keys.jwk]);
      return {
        ...rs.verifierOptions({ source: 'jwksUri' }),
        jwksUri: server.url,
        onKeyEvent: afterFirstFetch(() => server.setKeys([rs.keys.jwk, fx.stranger.keys.jwk])),
      };
    },
    exchange: async (fx) => {
      const rs = fx.issuers.RS256;
      const rotated = { iss: rs.issuer, aud: rs.audience };
      return [
        [{ path: '/me', headers: bearer(await rs.sign()) }, { status: 200 }],
        // Signed with the key published after our first fetch (default jwksCooldown 30 s).
        [{ path: '/me', headers: bearer(await fx.stranger.sign(rotated)) }, { status: 200 }],
        // Within the cooldown of that refetch, another unknown kid causes no fetch.
        [{ path: '/me', headers: bearer(await fx.stranger.sign(rotated, { header: { kid: 'not-published' } })) }, { status: 401, code: 'key_not_found' }],
      ];
    },
    after: ({ adapter }) => {
      expect(jwksPerAdapter.get(adapter)!.requestCount(), `${adapter}: JWKS requests`).toBe(2);
    },
  },
];

// --- Rule 13 (key URLs): no API key or password from a key URL in events or hints -----------------

const API_KEY = 'idp-api-key-0123456789abcdef';
const redactionLog = hookLog();
const failingJwks = oncePerRow(async () => {
  const server = await serveJwks([]);
  server.fail(500);
  return server;
});

const KEY_URL_REDACTION: MisuseCase[] = [
  {
    rule: 13,
    name: "a JWKS URL's query (an API key) is redacted in key events and in the key_source_unavailable hint",
    options: async (fx, adapter) => ({
      ...claimsOf(fx.issuers.RS256),
      jwksUri: `${(await failingJwks.get(fx)).url}?api_key=${API_KEY}`,
      algorithms: ['RS256'],
      ...redactionLog.hooks(adapter),
    }),
    exchange: async (fx) => [[{ path: '/me', headers: bearer(await fx.issuers.RS256.sign()) }, { status: 503, code: 'key_source_unavailable', mustNotContain: [API_KEY] }]],
    after: ({ adapter }) => {
      const url = `${failingJwks.current().url}?api_key=redacted`;
      const [rejected] = redactionLog.rejected(adapter);
      expect(rejected?.hint, adapter).toBe(`JWKS ${url}: HTTP 500`);
      expect(redactionLog.keyEvents(adapter), adapter).toEqual([expect.objectContaining({ type: 'keys_fetch_failed', url })]);
      expect(JSON.stringify([redactionLog.rejected(adapter), redactionLog.keyEvents(adapter)]), adapter).not.toContain(API_KEY);
    },
  },
];

// --- Rule 14: key URLs over https, except loopback or an explicit opt-in ---------------------------

const discoveryLog = hookLog();
const httpDiscovery = oncePerRow((fx) => serveDiscovery(offLoopback(fx.issuers.RS256.jwksUri!)));

const PLAIN_HTTP_KEYS: MisuseCase[] = [
  {
    rule: 14,
    name: 'jwksUri over plain http to a remote host is refused at start-up, saying to use https',
    options: (fx) => ({ ...claimsOf(fx.issuers.RS256), jwksUri: 'http://idp.example.com/.well-known/jwks.json', algorithms: ['RS256'] }),
    startup: /jwksUri must be an https: URL, because it is a plain http: URL off the loopback interface.*Use https/,
  },
  {
    rule: 14,
    name: 'discovery with a plain http issuer off the loopback interface is refused at start-up',
    options: () => ({ issuer: 'http://idp.example.com/', audience: 'orders-api', discovery: true }),
    startup: /issuer must be an https: URL.*allowInsecureHttpKeys: true/,
  },
  {
    rule: 14,
    name: 'discovery on loopback whose document names a plain http jwks_uri elsewhere: 503, no key fetched over it',
    options: async (fx, adapter) => ({
      issuer: (await httpDiscovery.get(fx)).issuer,
      audience: fx.issuers.RS256.audience,
      discovery: true,
      ...discoveryLog.hooks(adapter),
    }),
    exchange: async (fx) => {
      const { issuer } = await httpDiscovery.get(fx);
      return [[{ path: '/me', headers: bearer(await fx.issuers.RS256.sign({}, { issuer })) }, { status: 503, code: 'key_source_unavailable' }]];
    },
    after: ({ adapter }) => {
      expect(discoveryLog.keyEvents(adapter), adapter).toEqual([
        expect.objectContaining({ type: 'discovery_failed', reason: expect.stringContaining('is refused: it is a plain http: URL off the loopback interface') }),
      ]);
    },
  },
  {
    rule: 14,
    name: 'allowInsecureHttpKeys: true is the explicit opt-in for plain http off the loopback interface',
    options: (fx) => ({ ...fx.issuers.RS256.verifierOptions({ source: 'jwksUri' }), jwksUri: offLoopback(fx.issuers.RS256.jwksUri!), allowInsecureHttpKeys: true }),
    exchange: async (fx) => [[{ path: '/me', headers: bearer(await fx.issuers.RS256.sign()) }, { status: 200 }]],
  },
  {
    rule: 14,
    name: 'plain http on the loopback interface (localhost) still works, as in every test suite',
    options: (fx) => ({ ...fx.issuers.RS256.verifierOptions({ source: 'jwksUri' }), jwksUri: fx.issuers.RS256.jwksUri!.replace('127.0.0.1', 'localhost') }),
    exchange: async (fx) => [[{ path: '/me', headers: bearer(await fx.issuers.RS256.sign()) }, { status: 200 }]],
  },
];

// --- Rule 1 for key events: an async onKeyEvent that rejects -----------------------------------------

const ASYNC_KEY_EVENTS: MisuseCase[] = [
  {
    rule: 1,
    name: 'an async onKeyEvent that rejects on every event: requests answered, no unhandled rejection',
    options: (fx) => ({
      ...fx.issuers.RS256.verifierOptions({ source: 'jwksUri' }),
      jwksCooldown: 0,
      // eslint-disable-next-line @typescript-eslint/no-misused-promises -- the point of the row: an async hook that rejects
      onKeyEvent: async (event: KeyEvent) => {
        await Promise.resolve();
        throw new Error(`metrics backend down (${event.type})`);
      },
    }),
    exchange: async (fx) => [
      [{ path: '/me', headers: bearer(await fx.issuers.RS256.sign()) }, { status: 200 }],
      [{ path: '/me', headers: bearer(await fx.stranger.sign({ iss: fx.issuers.RS256.issuer, aud: fx.issuers.RS256.audience })) }, { status: 401, code: 'key_not_found' }],
    ],
  },
];

export const KEY_SOURCE_CASES: MisuseCase[] = [...PUBLIC_KEY_AS_SECRET, ...GETKEY_WEDGED_AND_FLOODED, ...REMOTE_KEYS_OUTAGES_AND_ROTATIONS, ...KEY_URL_REDACTION, ...PLAIN_HTTP_KEYS, ...ASYNC_KEY_EVENTS];
