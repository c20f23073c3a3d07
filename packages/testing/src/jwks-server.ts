import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JWK } from '@jwt-guard/core';

/** The path the JWKS is served on. */
export const JWKS_PATH = '/.well-known/jwks.json';

/** A JWKS endpoint on 127.0.0.1, with knobs to make it misbehave. */
export interface JwksServer {
  /** `http://127.0.0.1:<port>/.well-known/jwks.json` */
  url: string;
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** How many requests reached the JWKS path so far (failed and hung ones included; other paths not). */
  requestCount(): number;
  /** Replaces the served keys; the next request sees them. */
  setKeys(keys: JWK[]): void;
  /** make the endpoint fail with this HTTP status (or 'hang' / 'close') until reset with undefined */
  fail(mode: number | 'hang' | 'close' | undefined): void;
  /** Stops the server and destroys every connection (keep-alive and hung ones too). Safe to call twice. */
  close(): Promise<void>;
}

/** Options of {@link serveJwks}. */
export interface ServeJwksOptions {
  /** The port to listen on; default 0, a free port chosen by the system. */
  port?: number;
  /** A `Cache-Control` header for JWKS responses, e.g. `'max-age=600'`. Default: none sent. */
  cacheControl?: string;
}

type FailMode = number | 'hang' | 'close' | undefined;

/**
 * Serves `{ keys }` as JSON at `GET /.well-known/jwks.json` on 127.0.0.1 (never on another
 * interface). Other paths answer 404, other methods 405. The keys are served as given: pass
 * public JWKs. Always `await server.close()` (e.g. in `afterAll`), so the test process can exit.
 *
 * @example
 * ```ts
 * const keys = await generateTestKeys('RS256');
 * const server = await serveJwks([keys.jwk]);
 * const verifier = createVerifier({ jwksUri: server.url, issuer, audience });
 * server.fail(503); // the endpoint now answers 503
 * await server.close();
 * ```
 */
export async function serveJwks(keys: JWK[], options: ServeJwksOptions = {}): Promise<JwksServer> {
  let body = encodeKeys(keys);
  let failMode: FailMode;
  let count = 0;
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new RangeError(`serveJwks: port must be an integer 0–65535; got ${port}.`);
  const cacheControl = options.cacheControl;

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== JWKS_PATH) {
      sendJson(response, 404, { error: 'not_found' });
      return;
    }
    count += 1;
    const mode = failMode;
    if (mode === 'hang') return; // never answered; close() destroys the connection
    if (mode === 'close') {
      request.socket.destroy();
      return;
    }
    if (typeof mode === 'number') {
      sendJson(response, mode, { error: 'simulated_failure', status: mode });
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      sendJson(response, 405, { error: 'method_not_allowed' });
      return;
    }
    if (cacheControl !== undefined) response.setHeader('cache-control', cacheControl);
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    response.end(request.method === 'HEAD' ? undefined : body);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port: actualPort } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${actualPort}`;

  let closing: Promise<void> | undefined;
  return {
    url: `${origin}${JWKS_PATH}`,
    origin,
    requestCount: () => count,
    setKeys(next) {
      body = encodeKeys(next);
    },
    fail(mode) {
      if (mode !== undefined && mode !== 'hang' && mode !== 'close' && !(Number.isInteger(mode) && mode >= 200 && mode <= 599)) {
        throw new RangeError(`fail() takes an HTTP status 200–599, 'hang', 'close' or undefined; got ${JSON.stringify(mode)}.`);
      }
      failMode = mode;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive and hung connections would otherwise hold the server (and the process) open.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function encodeKeys(keys: JWK[]): string {
  if (!Array.isArray(keys)) throw new TypeError('serveJwks: keys must be an array of JWKs.');
  return JSON.stringify({ keys });
}

function sendJson(response: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}
