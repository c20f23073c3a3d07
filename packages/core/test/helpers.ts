import { generateKeyPairSync, type KeyObject, type webcrypto } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, type JWK, type JWTHeaderParameters, type JWTPayload } from 'jose';
import { expect } from 'vitest';
import { JwtGuardError, type ErrorCode } from '@jwt-guard/core';

export const ISSUER = 'https://issuer.example.com/';
export const AUDIENCE = 'https://api.example.com';

/** 32 bytes, 32 distinct characters: passes the HS256 length and entropy checks. */
export const SECRET_32 = 'q7Lm2xV9pR4tW8zK1cN6bH3jF5gD0sYa';
/** 64 bytes with plenty of distinct characters: strong enough for HS512. */
export const SECRET_64 = 'Zr8Qe2Wt6Yu0Io4Pa9Sd3Fg7Hj1Kl5Xc-Vb8Nm2Qw6Er0Ty4Ui9Op3As7Df1Gh5J';

/** The current time in whole seconds, as JWT NumericDate. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Claims every verifier in these tests accepts by default. */
export function validClaims(extra: JWTPayload = {}): JWTPayload {
  const now = nowSeconds();
  return { iss: ISSUER, aud: AUDIENCE, sub: 'user-1', iat: now, exp: now + 600, ...extra };
}

/** The options shared by most verifiers: issuer and audience set. */
export const CLAIM_OPTIONS = { issuer: ISSUER, audience: AUDIENCE } as const;

export type SigningKey = KeyObject | Uint8Array | webcrypto.CryptoKey | JWK | string;

/**
 * Signs `payload` as a compact JWS with `alg`. `payload` is taken as is (no defaults added), so
 * tests that need a claim absent can leave it out. A string key is used as an HMAC secret.
 */
export async function sign(
  key: SigningKey,
  alg: string,
  payload: JWTPayload = validClaims(),
  header: Partial<JWTHeaderParameters> = {},
): Promise<string> {
  const signingKey = typeof key === 'string' ? new TextEncoder().encode(key) : key;
  return new SignJWT(payload).setProtectedHeader({ ...header, alg }).sign(signingKey);
}

/** base64url of the UTF-8 JSON of `value` (or of a raw string). */
export function b64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8').toString('base64url');
}

/** A compact token built by hand, for tokens no honest library would produce. */
export function rawToken(header: unknown, payload: unknown, signature = 'c2lnbmF0dXJl'): string {
  return `${b64url(header)}.${b64url(payload)}.${signature}`;
}

export interface RsaPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicPem: string;
  publicJwk: JWK;
}

export function rsaPair(modulusLength = 2048): RsaPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength });
  return {
    privateKey,
    publicKey,
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    publicJwk: publicKey.export({ format: 'jwk' }),
  };
}

export function ecPair(namedCurve: 'P-256' | 'P-384' | 'P-521'): { privateKey: KeyObject; publicKey: KeyObject; publicJwk: JWK } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve });
  return { privateKey, publicKey, publicJwk: publicKey.export({ format: 'jwk' }) };
}

export function ed25519Pair(): { privateKey: KeyObject; publicKey: KeyObject; publicJwk: JWK } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicKey, publicJwk: publicKey.export({ format: 'jwk' }) };
}

/** Asserts `error` is a JwtGuardError with this code (and status), and returns it typed. */
export function expectGuardError(error: unknown, code: ErrorCode, status?: number): JwtGuardError {
  expect(error).toBeInstanceOf(JwtGuardError);
  const guardError = error as JwtGuardError;
  expect({ code: guardError.code, hint: guardError.hint }).toMatchObject({ code });
  if (status !== undefined) expect(guardError.status).toBe(status);
  return guardError;
}

/** Awaits a promise that must reject with a JwtGuardError of this code. */
export async function rejection(promise: Promise<unknown>, code: ErrorCode, status?: number): Promise<JwtGuardError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  if (caught === undefined) throw new Error(`expected a rejection with code ${code}, but the promise resolved`);
  return expectGuardError(caught, code, status);
}

/** Runs `fn`, which must throw a `config_invalid` JwtGuardError; returns it. */
export function configError(fn: () => unknown): JwtGuardError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  if (caught === undefined) throw new Error('expected a config_invalid error, but nothing was thrown');
  const error = expectGuardError(caught, 'config_invalid', 500);
  expect(error.message).toMatch(/^jwt-guard configuration: /);
  return error;
}

export interface TestServer {
  url: string;
  /** Requests received so far. */
  readonly hits: number;
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1, on a free port. */
export async function startServer(handler: (req: IncomingMessage, res: ServerResponse, hit: number) => void): Promise<TestServer> {
  let hits = 0;
  const server: Server = createServer((req, res) => {
    hits += 1;
    handler(req, res, hits);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    get hits() {
      return hits;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Sends a JSON body. */
export function sendJson(res: ServerResponse, body: unknown, status = 200): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// --- Remote keys: an endpoint tests can rotate, slow down or break; key events; a movable clock -----
// (Imports for this section are kept here, so the section can be added without touching the lines above.)

import { vi } from 'vitest';
import type { KeyEvent } from '@jwt-guard/core';

/** The path a {@link JwksEndpoint} serves its JWK Set on (the same as {@link startServer}'s `url`). */
export const JWKS_PATH = '/.well-known/jwks.json';

/** A JWKS endpoint on 127.0.0.1 whose answers a test changes as it goes. Every field applies to the next request. */
export interface JwksEndpoint extends TestServer {
  /** `http://127.0.0.1:<port>`, for discovery documents served by `routes`. */
  readonly origin: string;
  /** The JWK Set served on {@link JWKS_PATH}; replace it to rotate keys. */
  keys: JWK[];
  /** The `Cache-Control` header sent with the set; none when undefined. */
  cacheControl: string | undefined;
  /** Delay before any answer, in milliseconds. */
  delayMs: number;
  /** While set, answers requests to {@link JWKS_PATH} instead of the set: a failure, a hang (do nothing), or any custom answer. */
  fail: ((res: ServerResponse, req: IncomingMessage) => void) | undefined;
  /** Answers for other paths (discovery documents); any other path gets 404. */
  readonly routes: Map<string, (res: ServerResponse, req: IncomingMessage) => void>;
  /** Requests received on `path` so far (failed and hung ones included). */
  hitsOn(path: string): number;
}

export async function startJwksEndpoint(keys: JWK[] = []): Promise<JwksEndpoint> {
  const perPath = new Map<string, number>();
  const server = await startServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    perPath.set(path, (perPath.get(path) ?? 0) + 1);
    const answer = () => {
      const route = endpoint.routes.get(path);
      if (route !== undefined) route(res, req);
      else if (path !== JWKS_PATH) sendJson(res, { error: 'not_found' }, 404);
      else if (endpoint.fail !== undefined) endpoint.fail(res, req);
      else {
        if (endpoint.cacheControl !== undefined) res.setHeader('cache-control', endpoint.cacheControl);
        sendJson(res, { keys: endpoint.keys });
      }
    };
    if (endpoint.delayMs > 0) setTimeout(answer, endpoint.delayMs);
    else answer();
  });
  const endpoint: JwksEndpoint = Object.assign(server, {
    origin: new URL(server.url).origin,
    keys,
    cacheControl: undefined,
    delayMs: 0,
    fail: undefined,
    routes: new Map<string, (res: ServerResponse, req: IncomingMessage) => void>(),
    hitsOn: (path: string) => perPath.get(path) ?? 0,
  });
  return endpoint;
}

/** Records `onKeyEvent` events; `next` waits for one that has not happened yet. */
export interface KeyEventLog {
  readonly events: KeyEvent[];
  readonly onKeyEvent: (event: KeyEvent) => void;
  of<T extends KeyEvent['type']>(type: T): Array<Extract<KeyEvent, { type: T }>>;
  /** Resolves with the next event of this type emitted after the call (polls; fails after `timeoutMs`). */
  next<T extends KeyEvent['type']>(type: T, timeoutMs?: number): Promise<Extract<KeyEvent, { type: T }>>;
}

export function keyEventLog(): KeyEventLog {
  const events: KeyEvent[] = [];
  const of = <T extends KeyEvent['type']>(type: T) =>
    events.filter((event): event is Extract<KeyEvent, { type: T }> => event.type === type);
  return {
    events,
    onKeyEvent: (event) => {
      events.push(event);
    },
    of,
    async next(type, timeoutMs = 5000) {
      const seen = of(type).length;
      const deadline = performance.now() + timeoutMs;
      while (of(type).length === seen) {
        if (performance.now() > deadline) throw new Error(`no ${type} event within ${timeoutMs} ms`);
        await sleep(5);
      }
      return of(type)[seen]!;
    },
  };
}

/**
 * Moves `Date.now()` forward, which is the clock the remote key sources read (jose's claim checks
 * use `new Date()` and are not affected; timers and the HTTP server keep real time). Verifiers must
 * be created after the call, as they capture `Date.now` then. Call `restore()` when done.
 */
export function movableClock(): { advance(ms: number): void; restore(): void } {
  const realNow = Date.now.bind(Date);
  let offset = 0;
  const spy = vi.spyOn(Date, 'now').mockImplementation(() => realNow() + offset);
  return {
    advance(ms) {
      offset += ms;
    },
    restore() {
      spy.mockRestore();
    },
  };
}
