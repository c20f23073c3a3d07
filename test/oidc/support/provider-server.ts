/**
 * oidc-provider behind a plain node server on 127.0.0.1 that the test owns: so that it can be
 * stopped and started again on the same port, and so that every request can be seen (`onRequest`).
 * The issuer URL needs the port, so the provider is made once the server listens.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type Configuration } from 'oidc-provider';
import { callProvider } from './http.js';

export const DISCOVERY_PATH = '/.well-known/openid-configuration';

export interface ProviderServer {
  readonly port: number;
  /** From the discovery document, as the provider publishes them. */
  readonly issuer: string;
  readonly jwksUri: string;
  readonly tokenEndpoint: string;
  readonly discovery: Record<string, unknown>;
  stop(): Promise<void>;
}

export interface ProviderServerOptions {
  /** The port to listen on (a restart passes the one it had); 0 or absent: a free one. */
  port?: number;
  /** Sees every request before the provider does: method and path (without the query). */
  onRequest?: (method: string, path: string) => void;
}

export async function startProviderServer(configuration: Configuration, options: ProviderServerOptions = {}): Promise<ProviderServer> {
  const app: { handle?: ReturnType<Provider['callback']> } = {};
  const server: Server = createServer((req, res) => {
    options.onRequest?.(req.method ?? '', (req.url ?? '').split('?')[0] ?? '');
    void app.handle!(req, res); // Koa's callback handles its own errors
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  app.handle = new Provider(`http://127.0.0.1:${port}`, configuration).callback();

  const { status, body } = await callProvider(`http://127.0.0.1:${port}${DISCOVERY_PATH}`);
  const discovery = body as Record<string, unknown> & { issuer: string; jwks_uri: string; token_endpoint: string };
  if (status !== 200 || typeof discovery.token_endpoint !== 'string') throw new Error(`provider discovery answered ${status}: ${JSON.stringify(body)}`);

  return {
    port,
    issuer: discovery.issuer,
    jwksUri: discovery.jwks_uri,
    tokenEndpoint: discovery.token_endpoint,
    discovery,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
